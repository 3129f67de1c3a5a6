package org.acodm.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.acodm.config.ConfigDiff;
import org.acodm.config.ConfigTree;
import org.acodm.config.Mappers;
import org.acodm.data.Manifest;
import org.acodm.train.config.RunConfig;

/**
 * What a run directory holds, as a driver of many runs (a study) needs to know it before it trains anything: whether
 * the run started, finished, and with which configuration and data. Read-only.
 *
 * @param dir        the run directory
 * @param started    it holds a run's config.yaml (the trainer writes it when a run starts)
 * @param complete   its run.json says the run reached train.steps
 * @param checkpoint the step of the newest checkpoint, -1 when there is none
 */
public record RunStatus(Path dir, boolean started, boolean complete, long checkpoint) {
    /**
     * Keys that say where and how fast a run computes, not what: two configs that differ only here are the same
     * experiment. (Threads can change the last bits of a result; docs/training.md says what is bit-exact.)
     */
    public static final Set<String> ENVIRONMENT_KEYS = Set.of("run.threads", "run.device", "run.dist_timeout", "run.dist_bucket_mb",
            "run.dist_check_interval");

    public static RunStatus of(Path dir) throws IOException {
        boolean started = Files.isRegularFile(dir.resolve("config.yaml"));
        boolean complete = false;
        Path runJson = dir.resolve("run.json");
        if (Files.isRegularFile(runJson)) {
            try {
                complete = Mappers.JSON.readTree(runJson.toFile()).path("complete").asBoolean(false);
            } catch (IOException e) {
                throw new IOException(runJson + ": not readable JSON (" + e.getMessage() + "); move the run directory away to train it again", e);
            }
        }
        long step = -1;
        for (Path c : new Checkpoints(dir).list()) step = Math.max(step, Checkpoints.stepOf(c));
        return new RunStatus(dir, started, complete, step);
    }

    /**
     * The keys at which the configuration this run started with differs from {@code wanted}, leaving out
     * {@link #ENVIRONMENT_KEYS}; empty when it has not started. A run extended or cut by another train.steps differs too:
     * a study compares runs of the configs it names, not what a directory happened to hold.
     */
    public List<ConfigDiff.Difference> configDifferences(RunConfig wanted) throws IOException {
        if (!started) return List.of();
        RunConfig saved = ConfigTree.load(dir.resolve("config.yaml")).bind(RunConfig.class);
        return ConfigDiff.between(saved, wanted, ENVIRONMENT_KEYS);
    }

    /**
     * Null when the run trained on the data {@code dataDir} holds now (or records none); else what differs. Only a run
     * that has written run.json records its data.
     */
    public String dataDifference(Path dataDir) throws IOException {
        Path runJson = dir.resolve("run.json");
        if (!Files.isRegularFile(runJson) || !Files.isRegularFile(dataDir.resolve(Manifest.FILE_NAME))) return null;
        JsonNode data = Mappers.JSON.readTree(runJson.toFile()).get("data");
        if (data == null) return null;
        return DataIdentity.fromJson(data).difference(DataIdentity.of(Manifest.read(dataDir)));
    }
}
