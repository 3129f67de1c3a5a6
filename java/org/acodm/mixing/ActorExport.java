package org.acodm.mixing;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.acodm.config.Mappers;
import org.acodm.engine.AgentNetworks;

/**
 * What travels with an exported AC-ODM actor so another run can use it: the domains in order, how the state is
 * laid out (layout, state-layer count and the relative-depth rule, delta reference, time scale), the weight floor,
 * the state dimension and network shape, and the proxy run's agent config. Stored as the metadata document inside
 * the native actor file ({@code actor.pt}); {@link #read} gets it back without loading the networks.
 *
 * <p>Format 2 (issue 18) added the state layout, the floor's schedule and value, and the time scale. A format-1 file
 * (exported before) still loads: its actor was trained on the paper's state with ODM's ε_t floor (or none), and that
 * is what {@link #read} says it needs.
 *
 * @param stepsTrained proxy steps observed when the actor was exported
 */
public record ActorExport(int formatVersion, List<String> domains, StateLayout stateLayout, int stateLayers, String stateLayerRule,
                          int stateDim, int hidden, int layers, DeltaReference deltaReference, double stepFeatureScale,
                          FloorSchedule floor, double floorShare, RewardMode reward, long proxyTotalSteps, long stepsTrained,
                          AcOdmConfig config) {

    public static final int FORMAT_VERSION = 2;
    /** The actor file's name inside a run directory. */
    public static final String FILE_NAME = "actor.pt";
    public static final String STATE_LAYER_RULE =
            "mlp.dense_4h_to_h.weight of layer 1 and of layers round(j*N/(L-1)), j = 1..L-1 (1-based, N model layers)";

    /** {@code path} itself, or {@code path/actor.pt} when it is a directory (a proxy run's output). */
    public static Path resolve(Path path) {
        return Files.isDirectory(path) ? path.resolve(FILE_NAME) : path;
    }

    /** The metadata of an exported actor file (or of a run directory's actor). */
    public static ActorExport read(Path path) {
        Path file = resolve(path);
        String json = AgentNetworks.exportedMetadata(file);
        try {
            JsonNode tree = Mappers.JSON.readTree(json);
            int version = tree.path("formatVersion").asInt(-1);
            if (version == 1) return readFormat1(tree, file);
            if (version != FORMAT_VERSION)
                throw new IllegalArgumentException(file + ": exported actor format " + version + ", this build reads 1 and " + FORMAT_VERSION);
            return Mappers.JSON.readerFor(ActorExport.class).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(tree);
        } catch (java.io.IOException ex) {
            String why = ex instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : ex.getMessage();
            throw new IllegalArgumentException(file + ": unreadable actor metadata: " + why, ex);
        }
    }

    /**
     * Format 1: the paper's state (its only layout then) with time scale config.stepFeatureScale, and the boolean
     * weightFloor meaning ODM's ε_t. Its config is the proxy's under the keys of that build: kept as a JSON tree's
     * values where they still exist, so {@link #config()} is the defaults with those values, not a record with holes.
     */
    private static ActorExport readFormat1(JsonNode tree, Path file) throws java.io.IOException {
        List<String> domains = Mappers.JSON.readerForListOf(String.class).readValue(tree.path("domains"));
        JsonNode cfg = tree.path("config");
        AcOdmConfig config = AcOdmConfig.defaults().with("state", StateLayout.PAPER)
                .with("hidden", tree.path("hidden").asInt()).with("layers", tree.path("layers").asInt())
                .with("state_layers", tree.path("stateLayers").asInt())
                .with("step_feature_scale", cfg.path("stepFeatureScale").asDouble(1.0));
        boolean floor = tree.path("weightFloor").asBoolean(true);
        config = config.with("floor", floor ? FloorSchedule.ODM : FloorSchedule.NONE);
        DeltaReference ref = Mappers.JSON.treeToValue(tree.path("deltaReference"), DeltaReference.class);
        RewardMode reward = Mappers.JSON.treeToValue(tree.path("reward"), RewardMode.class);
        if (domains == null || ref == null || reward == null)
            throw new IllegalArgumentException(file + ": exported actor format 1 without its domains, delta reference or reward");
        return new ActorExport(1, domains, StateLayout.PAPER, tree.path("stateLayers").asInt(), tree.path("stateLayerRule").asText(),
                tree.path("stateDim").asInt(), tree.path("hidden").asInt(), tree.path("layers").asInt(), ref,
                config.stepFeatureScale(), config.floor(), 0, reward, tree.path("proxyTotalSteps").asLong(),
                tree.path("stepsTrained").asLong(), config.with("delta_reference", ref).with("reward", reward));
    }

    /**
     * Exports the actor of an AC-ODM policy that {@link AcOdmPolicy#save} wrote into {@code policyDir} (a checkpoint's
     * policy/) to {@code file}, with the metadata a finished run writes: the policy is rebuilt on the CPU from the
     * run's domains, settings, length and seed, its state loaded, and its actor written by the native archive writer
     * (temporary, fsync, rename), so a reader never sees half a file. Returns the metadata as read back from {@code file}.
     */
    public static ActorExport exportSaved(Path policyDir, List<String> domains, AcOdmConfig config, long totalSteps, long seed, Path file)
            throws IOException {
        // Initial weights only matter at step 0 and the prior is part of the saved state: load() replaces both.
        double[] uniform = new double[domains.size()];
        java.util.Arrays.fill(uniform, 1.0 / domains.size());
        try (AcOdmPolicy p = new AcOdmPolicy(domains, config.withDevice("cpu"), totalSteps, seed, uniform, uniform)) {
            p.load(policyDir);
            p.exportActor(file);  // the native archive writer: temporary, fsync, rename, folder fsync
        }
        return read(file);
    }

    static void write(AgentNetworks agent, Path file, ActorExport metadata) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            agent.exportActor(file, Mappers.JSON.writeValueAsString(metadata));
        } catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException("cannot export the actor to " + file, ex);
        }
    }

    /** Checks this actor fits a run over {@code runDomains} with {@code runStateLayers} state layers, naming what differs. */
    public void checkCompatible(List<String> runDomains, int runStateLayers) {
        if (!domains.equals(runDomains))
            throw new IllegalArgumentException("the exported actor does not fit this run: "
                    + DomainLists.describeDifference(runDomains, domains, "this run", "the actor"));
        int dim = stateLayout.dimension(runDomains.size(), runStateLayers);
        if (dim != stateDim)
            throw new IllegalArgumentException("the exported actor expects a state of dimension " + stateDim + " (" + stateLayout.name().toLowerCase(java.util.Locale.ROOT)
                    + " state, K = " + domains.size() + ", L = " + stateLayers + "), this run builds " + dim + " (K = " + runDomains.size()
                    + ", L = " + runStateLayers + ")");
    }
}
