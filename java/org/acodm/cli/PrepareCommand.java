package org.acodm.cli;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.acodm.data.CorpusSource;
import org.acodm.data.FieldPath;
import org.acodm.data.Manifest;
import org.acodm.data.PileReader;
import org.acodm.data.PrepareSummary;
import org.acodm.data.ShardPreparer;
import org.acodm.data.SourceFile;
import org.acodm.data.Split;
import org.acodm.data.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code acodm prepare}: corpus files to per-domain token shards and {@code manifest.json}. */
@Command(name = "prepare", mixinStandardHelpOptions = true,
        description = {"Tokenise a Pile-style corpus into one Megatron indexed dataset (.bin + .idx) per split and domain, plus manifest.json.",
                "Re-running with the same inputs reuses finished splits (and redoes those whose files changed); an interrupted or failed",
                "run leaves earlier output intact. Output of another prepare is replaced only with --overwrite."})
public final class PrepareCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "[SPLIT=]PATH",
            description = "A directory in the Pile layout (train/NN.jsonl.zst, val.jsonl.zst, test.jsonl.zst) or a .jsonl/.jsonl.zst file; repeatable. SPLIT= sets the split.")
    List<String> inputs;

    @Option(names = "--tokenizer", required = true, paramLabel = "SPEC",
            description = "byte, hf:PATH/tokenizer.json or tiktoken:NAME (r50k_base, p50k_base, cl100k_base, o200k_base).")
    String tokenizer;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--domain-field", defaultValue = "meta.pile_set_name", paramLabel = "KEY.PATH",
            description = "JSON key path of the domain name (default: ${DEFAULT-VALUE}; SlimPajama: meta.redpajama_set_name).")
    String domainField;

    @Option(names = "--text-field", defaultValue = "text", paramLabel = "KEY.PATH", description = "JSON key path of the text (default: ${DEFAULT-VALUE}).")
    String textField;

    @Option(names = "--max-bad-lines", defaultValue = "0", paramLabel = "N",
            description = "Skip up to N bad lines per file (counted and reported) instead of failing (default: ${DEFAULT-VALUE}).")
    int maxBadLines;

    @Option(names = "--min-domain-tokens", defaultValue = "10000", paramLabel = "N",
            description = "Report domains with fewer tokens than this in a split (they are kept) (default: ${DEFAULT-VALUE}).")
    long minDomainTokens;

    @Option(names = "--threads", paramLabel = "N", description = "Tokeniser threads (default: all cores).")
    Integer threads;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Option(names = "--overwrite", description = {"Replace data of another prepare (other inputs, tokenizer or options) in --out, and allow",
            "an --out that holds other files (they are kept: prepare never deletes a file it did not write)."})
    boolean overwrite;

    @Override public Integer call() throws Exception {
        List<SourceFile> sources = CorpusSource.resolve(inputs);
        CorpusSource.requireValidation(sources, inputs);
        PileReader.Options ro = new PileReader.Options(FieldPath.parse(textField), FieldPath.parse(domainField), maxBadLines);
        ShardPreparer.Options opts = ShardPreparer.Options.defaults().withReader(ro).withMinDomainTokens(minDomainTokens).withOverwrite(overwrite);
        if (threads != null) opts = opts.withThreads(threads);
        Manifest m;
        try (Tokenizer tok = Tokenizer.fromSpec(tokenizer); ProgressListener progress = new ProgressListener(quiet)) {
            m = ShardPreparer.prepare(sources, tok, out, opts, progress);
        }
        spec.commandLine().getOut().print(PrepareSummary.table(m));
        spec.commandLine().getOut().println("wrote " + out.resolve(Manifest.FILE_NAME));
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** A progress bar per split over the input bytes (so the ETA is real), with documents and text MB/s beside it. */
    private final class ProgressListener implements ShardPreparer.Listener, AutoCloseable {
        private final boolean quiet;
        private ProgressBar bar;
        private long startNanos;

        ProgressListener(boolean quiet) { this.quiet = quiet; }

        @Override public void splitStarted(Split split, int files, long inputBytes) {
            startNanos = System.nanoTime();
            if (quiet) return;
            bar = new ProgressBarBuilder().setTaskName("prepare " + split).setInitialMax(inputBytes)
                    .setUnit(" MB", 1 << 20).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).build();
        }

        @Override public void progress(Split split, long documents, long textBytes, long inputBytesRead) {
            if (bar == null) return;
            double secs = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
            bar.stepTo(inputBytesRead);
            bar.setExtraMessage(String.format(Locale.ROOT, "%,d docs, text %.1f MB/s", documents, textBytes / secs / (1 << 20)));
        }

        @Override public void splitFinished(Split split, boolean reused) {
            if (bar != null) { bar.stepTo(bar.getMax()); bar.close(); bar = null; }
            if (reused) spec.commandLine().getErr().println(split + ": up to date, reused");
        }

        @Override public void close() {
            if (bar != null) bar.close();
        }
    }
}
