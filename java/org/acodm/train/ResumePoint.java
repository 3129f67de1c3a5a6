package org.acodm.train;

import java.nio.file.Path;
import java.util.List;

/**
 * Where a train invocation starts ({@link RunDirectory#startingPoint}): step 0, or a checked checkpoint whose model and
 * policy the trainer loads, with where its log and its count of skipped steps stood.
 *
 * @param checkpoint    the checkpoint folder to continue from; null for a start from step 0
 * @param step          the next step to run
 * @param metricsOffset bytes of metrics.jsonl the checkpoint accounts for (the rest is cut)
 * @param skippedSteps  non-finite steps the run skipped before the checkpoint
 * @param notes         what could not be checked in the checkpoint (one written before manifests: no checksums)
 * @param damaged       newer checkpoints passed over as damaged, set aside by {@link RunDirectory#begin}
 */
record ResumePoint(Path checkpoint, long step, long metricsOffset, long skippedSteps, List<String> notes, List<Checkpoints.Checked> damaged) {
    static final ResumePoint FRESH = new ResumePoint(null, 0, 0, 0, List.of(), List.of());

    ResumePoint {
        notes = List.copyOf(notes);
        damaged = List.copyOf(damaged);
    }

    boolean resumes() { return checkpoint != null; }
    Path model() { return checkpoint.resolve(Checkpoints.MODEL); }
    Path policy() { return checkpoint.resolve(Checkpoints.POLICY); }
}
