package org.acodm.mixing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The same weights at every step (The Pile's proportions, uniform, proportional to tokens, or any named map). */
public final class StaticPolicy implements MixingPolicy {
    static final String STATE_FILE = "static.json";

    private final List<String> domains;
    private final double[] alpha;
    private long lastStep = -1;

    public StaticPolicy(List<String> domains, double[] alpha) {
        this.domains = List.copyOf(domains);
        if (alpha.length != domains.size())
            throw new IllegalArgumentException(alpha.length + " weights for " + domains.size() + " domains");
        this.alpha = alpha.clone();
    }

    /** {@link MixingMethod#STATIC}'s factory. */
    static StaticPolicy create(StaticConfig c, PolicyContext run) {
        return new StaticPolicy(run.domains(), run.weights("source", "weights", "file", c.source(), c.weights(), c.file()));
    }

    @Override public MixingMethod method() { return MixingMethod.STATIC; }
    @Override public List<String> domains() { return domains; }
    @Override public double[] weights() { return alpha.clone(); }

    @Override public void observe(StepObservation o) {
        lastStep = PolicyChecks.step(o, domains, lastStep);
    }

    record Saved(double[] weights, long lastStep) {}

    @Override public void save(Path dir) throws IOException {
        StateFiles.write(dir.resolve(STATE_FILE), method(), domains, new Saved(alpha, lastStep));
    }

    @Override public void load(Path dir) throws IOException {
        Path f = dir.resolve(STATE_FILE);
        Saved s = StateFiles.read(f, method(), domains, Saved.class);
        if (!java.util.Arrays.equals(s.weights(), alpha)) throw new IOException(f + ": the saved static weights differ from this run's configuration");
        lastStep = s.lastStep();
    }
}
