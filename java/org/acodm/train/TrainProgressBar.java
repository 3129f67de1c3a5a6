package org.acodm.train;

import java.io.PrintStream;
import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The progress bar of a training run (the progressbar library, as prepare's): steps, ETA and the message the loop sets.
 * On a terminal it is redrawn in place; in a batch job (no console) it is a plain line a minute, so logs stay readable.
 */
final class TrainProgressBar {
    private TrainProgressBar() {}

    static ProgressBar open(PrintStream out, long start, long total) {
        boolean terminal = System.console() != null;
        return new ProgressBarBuilder().setTaskName("train").setInitialMax(total).startsFrom(start, Duration.ZERO).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(terminal ? new ConsoleProgressBarConsumer(out) : new DelegatingProgressBarConsumer(new Lines(out), 120))
                .setUpdateIntervalMillis(terminal ? 500 : 60_000).build();
    }

    /** One line per rendering, but not the same line twice (the library renders its last state twice when it closes). */
    private static final class Lines implements java.util.function.Consumer<String> {
        private final PrintStream out;
        private String last;

        Lines(PrintStream out) { this.out = out; }

        @Override public void accept(String line) {
            if (!line.equals(last)) out.println(line);
            last = line;
        }
    }
}
