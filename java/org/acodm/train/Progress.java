package org.acodm.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Training progress: step, loss, tokens/s and ETA. On a terminal one line redrawn in place; in a batch job
 * (no console) a plain line about every 5% of the run, so logs stay readable.
 */
final class Progress {
    private final PrintStream out;
    private final long first;
    private final long total;
    private final long tokensPerStep;
    private final boolean terminal = System.console() != null;
    private final long every;
    private final long t0 = System.nanoTime();
    private double smoothedLoss = Double.NaN;

    Progress(PrintStream out, long first, long total, long tokensPerStep) {
        this.out = out;
        this.first = first;
        this.total = total;
        this.tokensPerStep = tokensPerStep;
        this.every = Math.max(1, total / 20);
    }

    void update(long step, double loss) {
        smoothedLoss = Double.isNaN(smoothedLoss) ? loss : 0.9 * smoothedLoss + 0.1 * loss;
        if (!terminal && step % every != 0 && step != total) return;
        double elapsed = (System.nanoTime() - t0) / 1e9;
        long done = step - first;
        double perStep = done == 0 ? 0 : elapsed / done;
        long eta = Math.round(perStep * (total - step));
        String line = String.format(Locale.ROOT, "step %d/%d  loss %.4f  %.0f tokens/s  ETA %dm%02ds", step, total,
                smoothedLoss, perStep == 0 ? 0 : tokensPerStep / perStep, eta / 60, eta % 60);
        if (terminal) out.print("\r" + line + "   ");
        else out.println(line);
        out.flush();
    }

    void done() {
        if (terminal) out.println();
    }
}
