package org.acodm.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.acodm.config.Mappers;
import org.acodm.data.EvalRecord;
import org.acodm.data.SkippedStepRecord;
import org.acodm.data.StepRecord;
import org.acodm.data.WindowLosses;
import org.acodm.engine.StepResult;
import org.acodm.mixing.MixingPolicy;

/**
 * RUN_DIR/metrics.jsonl: one JSON object per line ({@link StepRecord}, {@link SkippedStepRecord}, {@link EvalRecord}),
 * appended and flushed line by line, numbers keyed by the run's domains in their order. A checkpoint records
 * {@link #sync()}'s byte offset; resuming truncates the log back to it, so the records of steps redone after a crash
 * are written once, exactly as an uninterrupted run writes them.
 */
final class MetricsLog implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private final List<String> domains;

    private MetricsLog(Path path, FileChannel channel, List<String> domains) {
        this.path = path;
        this.channel = channel;
        this.domains = domains;
    }

    /** Opens for appending after {@code offset} bytes (everything beyond is dropped); 0 starts afresh. */
    static MetricsLog open(Path path, long offset, List<String> domains) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        long size = ch.size();
        if (size < offset) {
            ch.close();
            throw new IOException(path + " has " + size + " bytes but the checkpoint recorded " + offset
                    + " (the metrics log was cut or replaced); nothing was changed");
        }
        ch.truncate(offset);
        ch.position(offset);
        return new MetricsLog(path, ch, List.copyOf(domains));
    }

    /**
     * A trained step: its result, the weights {@code alpha} it was sampled with, the policy's state after observing it
     * and, with {@code alignment}, the step's S.
     */
    void step(long step, StepResult r, double[] alpha, MixingPolicy policy, boolean alignment, double tokensPerSecond, double elapsed)
            throws IOException {
        Map<String, Double> loss = new LinkedHashMap<>();
        for (int j = 0; j < domains.size(); j++) if (r.domainTokens()[j] > 0) loss.put(domains.get(j), r.domainMeanLoss(j));
        // Only a policy whose learned weights are not simply its current weights (DoGE's running average) reports them
        // (compared by value: policies return copies).
        double[] reported = policy.reportedWeights();
        Map<String, Double> metrics = new LinkedHashMap<>();
        policy.metrics().forEach((k, v) -> metrics.put(StepRecord.POLICY_PREFIX + k, v));
        Map<String, Map<String, Double>> s = null;
        if (alignment && r.alignment() != null) {
            s = new LinkedHashMap<>();
            for (int i = 0; i < domains.size(); i++) s.put(domains.get(i), byDomain(r.alignment()[i]));
        }
        write(new StepRecord(step, r.loss(), loss, byDomain(alpha), Arrays.equals(reported, policy.weights()) ? null : byDomain(reported),
                r.learningRate(), r.gradNorm(), metrics, s, tokensPerSecond, elapsed));
    }

    /** A step skipped under train.skip_nonfinite_steps, the {@code skipped}-th of the run. */
    void skipped(long step, StepResult r, double[] alpha, long skipped) throws IOException {
        write(new SkippedStepRecord(step, Double.isFinite(r.loss()) ? "non-finite gradient norm" : "non-finite loss", r.loss(), r.gradNorm(),
                byDomain(alpha), skipped));
    }

    /** An evaluation on the fixed validation windows; domains without val windows are listed, not scored. */
    EvalRecord eval(long step, Evaluator.Result e) throws IOException {
        List<String> missing = new ArrayList<>();
        for (int j = 0; j < domains.size(); j++) if (Double.isNaN(e.domainLoss()[j])) missing.add(domains.get(j));
        EvalRecord rec = new EvalRecord(EvalRecord.EVAL, step, e.loss(), e.ppl(), e.bpb(), scored(e, e.domainLoss()), scored(e, e.domainPpl()),
                scored(e, e.domainBpb()), missing.isEmpty() ? null : missing, null, null);
        write(rec);
        return rec;
    }

    /** The final evaluation, with its windows' losses in {@link WindowLosses#FILE} (named by the record, so written first). */
    void finalEval(Path runDir, long step, int seqLen, Evaluator.Result e) throws IOException {
        WindowLosses.of(step, seqLen, domains, e.windowLoss()).write(runDir);
        Map<String, Integer> windows = new LinkedHashMap<>();
        for (int j = 0; j < domains.size(); j++) if (!Double.isNaN(e.domainLoss()[j])) windows.put(domains.get(j), e.windowLoss()[j].length);
        write(new EvalRecord(EvalRecord.FINAL_EVAL, step, e.loss(), e.ppl(), e.bpb(), scored(e, e.domainLoss()), scored(e, e.domainPpl()),
                scored(e, e.domainBpb()), null, windows, WindowLosses.FILE));
    }

    private Map<String, Double> byDomain(double[] values) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int j = 0; j < domains.size(); j++) m.put(domains.get(j), values[j]);
        return m;
    }

    /** {@code values} of the domains the evaluation scored (those with val windows). */
    private Map<String, Double> scored(Evaluator.Result e, double[] values) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int j = 0; j < domains.size(); j++) if (!Double.isNaN(e.domainLoss()[j])) m.put(domains.get(j), values[j]);
        return m;
    }

    void write(Object record) throws IOException {
        ByteBuffer b = ByteBuffer.wrap((Mappers.JSON.writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) channel.write(b);
    }

    /** Forces the log to disk and returns its length: the offset a checkpoint records. */
    long sync() throws IOException {
        channel.force(false);
        return channel.position();
    }

    Path path() { return path; }

    @Override public void close() throws IOException {
        channel.force(false);
        channel.close();
    }
}
