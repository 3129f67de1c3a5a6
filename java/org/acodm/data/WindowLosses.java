package org.acodm.data;

import com.fasterxml.jackson.databind.DeserializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.acodm.config.Mappers;
import org.acodm.io.AtomicFile;

/**
 * RUN_DIR/final_eval.json: the mean token loss of every validation window of a run's final evaluation, per domain, in
 * the windows' fixed order ({@link ValidationWindows}). Two runs evaluated on the same data, sequence length and
 * window count score the same windows, so their per-window differences give the evaluation's own standard error of a
 * difference between them (`acodm study`).
 *
 * @param step   the step after which the evaluation ran
 * @param seqLen tokens scored per window
 * @param losses domain name to its windows' mean losses, in the run's domain order
 */
public record WindowLosses(long step, int seqLen, Map<String, double[]> losses) {
    public static final String FILE = "final_eval.json";

    public WindowLosses {
        losses = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(losses));
    }

    /** From per-domain arrays in the order of {@code domains}. */
    public static WindowLosses of(long step, int seqLen, List<String> domains, double[][] perDomain) {
        Map<String, double[]> m = new LinkedHashMap<>();
        for (int j = 0; j < domains.size(); j++) if (perDomain[j].length > 0) m.put(domains.get(j), perDomain[j].clone());
        return new WindowLosses(step, seqLen, m);
    }

    /** Writes {@link #FILE} in {@code runDir} atomically. */
    public void write(Path runDir) throws IOException {
        AtomicFile.write(runDir.resolve(FILE), Mappers.JSON.writeValueAsBytes(this));
    }

    /** The file of {@code runDir}, or null when the run has none; a damaged file is an IOException naming it. */
    public static WindowLosses read(Path runDir) throws IOException {
        Path f = runDir.resolve(FILE);
        if (!Files.isRegularFile(f)) return null;
        try {
            return Mappers.JSON.readerFor(WindowLosses.class).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(f.toFile());
        } catch (IOException e) {
            throw new IOException(f + ": not a readable window-loss file: " + e.getMessage(), e);
        }
    }
}
