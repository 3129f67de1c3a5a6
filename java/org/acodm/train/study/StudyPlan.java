package org.acodm.train.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.acodm.config.ConfigDiff;
import org.acodm.config.ConfigException;
import org.acodm.config.ConfigTree;
import org.acodm.mixing.MixingMethod;
import org.acodm.train.RunStatus;
import org.acodm.train.config.RunConfig;

/**
 * A study resolved into its jobs: one (run, seed) each, with the run directory and the complete run config (the
 * run's file, the study's and the run's set:, the command line's --set, then what the study fixes: run.name,
 * run.seed, data.path and the actor a transferred run loads). Everything is checked when the plan is built, so an
 * error in the third run's config stops the study before the first one trains.
 *
 * <p>Layout: {@code OUT/seed-S/NAME} for seed S (1-based) of run NAME; the report goes to {@code OUT/report}.
 */
public final class StudyPlan {
    /**
     * One run of one seed.
     *
     * @param seedIndex 1-based
     * @param seed      the run.seed it trains with
     * @param dependsOn the run (same seed) whose actor it loads, or null
     */
    public record Job(String name, int seedIndex, long seed, Path dir, ConfigTree tree, RunConfig config, String dependsOn) {
        public String label() { return name + " (seed " + seedIndex + ")"; }
    }

    private final Path file;
    private final ConfigTree studyTree;
    private final StudyFile study;
    private final String name;
    private final Path out;
    private final int seeds;
    private final List<Job> jobs;

    private StudyPlan(Path file, ConfigTree studyTree, StudyFile study, String name, Path out, int seeds, List<Job> jobs) {
        this.file = file;
        this.studyTree = studyTree;
        this.study = study;
        this.name = name;
        this.out = out;
        this.seeds = seeds;
        this.jobs = List.copyOf(jobs);
    }

    /**
     * Reads and checks {@code studyFile}. {@code out} null: runs/NAME. {@code seedsOverride} null: the file's seeds.
     * {@code overrides} ("key=value", as --set) apply to every run after the study's own keys. Every error of every run
     * is reported at once, naming the file and line it comes from.
     */
    public static StudyPlan load(Path studyFile, Path out, Integer seedsOverride, List<String> overrides) throws IOException {
        return load(studyFile, out, seedsOverride, overrides, List.of());
    }

    /** As {@link #load(Path, Path, Integer, List)}, with {@code studyOverrides} ("data.corpus=DIR") applied to the study file's own keys. */
    public static StudyPlan load(Path studyFile, Path out, Integer seedsOverride, List<String> overrides, List<String> studyOverrides) throws IOException {
        ConfigTree st = ConfigTree.load(studyFile).withOverrides(studyOverrides);
        StudyFile sf = st.bind(StudyFile.class);
        String fileName = studyFile.getFileName().toString();
        String name = !sf.name().isEmpty() ? sf.name() : fileName.replaceFirst("\\.ya?ml$", "");
        if (seedsOverride != null && seedsOverride < 1) throw new IllegalArgumentException("--seeds must be >= 1, got " + seedsOverride);
        int seeds = seedsOverride != null ? seedsOverride : sf.seeds();
        Path outDir = out != null ? out : Path.of("runs", name);
        Path base = studyFile.toAbsolutePath().getParent();

        List<String> errors = new ArrayList<>();
        List<Job> jobs = new ArrayList<>();
        JsonNode runNodes = st.node("runs").orElse(JsonNodeFactory.instance.arrayNode());
        for (int s = 1; s <= seeds; s++) {
            long seed = sf.seed() + s - 1;
            for (int i = 0; i < sf.runs().size(); i++) {
                StudyFile.StudyRun r = sf.runs().get(i);
                String at = "runs[" + i + "]";
                Path config = Path.of(r.config());
                Path resolved = config.isAbsolute() ? config : base.resolve(config).normalize();
                // The path as the user can read it back: relative to the working directory when the study file's is.
                Path shown = config.isAbsolute() || studyFile.getParent() == null ? resolved : studyFile.getParent().resolve(config).normalize();
                if (!Files.isRegularFile(resolved)) {
                    if (s == 1) errors.add(st.locate(at + ".config") + ": " + at + ".config: " + shown + " not found (a relative path resolves against the study file's directory)");
                    continue;
                }
                Path dir = outDir.resolve("seed-" + s).resolve(r.name());
                try {
                    ConfigTree t = ConfigTree.load(shown);
                    t = withSet(t, st, "set", st.node("set").orElse(null));
                    t = withSet(t, st, at + ".set", runNodes.get(i).get("set"));
                    t = t.withOverrides(overrides);
                    JsonNodeFactory n = JsonNodeFactory.instance;
                    t = t.withValue("run.name", n.textNode(r.name()), st.locate(at + ".name"));
                    t = t.withValue("run.seed", n.numberNode(seed), st.locate("seed") + " (seed " + s + " of the study)");
                    t = t.withValue("data.path", n.textNode(sf.data().prepared()), st.locate("data.prepared"));
                    String dependsOn = r.actorFrom().isEmpty() ? null : r.actorFrom();
                    if (dependsOn != null)
                        t = t.withValue("mixing.frozen_actor.actor", n.textNode(outDir.resolve("seed-" + s).resolve(dependsOn).toString()),
                                st.locate(at + ".actor_from"));
                    RunConfig cfg = t.bind(RunConfig.class);
                    cfg.mixing().bindSettings(t);
                    if (dependsOn != null && cfg.mixing().method() != MixingMethod.FROZEN_ACTOR)
                        throw new ConfigException(st.locate(at + ".actor_from") + ": " + at + ".actor_from: run '" + r.name()
                                + "' has mixing.method " + cfg.mixing().method().key() + "; only a frozen_actor run loads another run's actor");
                    if (dependsOn == null && cfg.mixing().method() == MixingMethod.FROZEN_ACTOR)
                        throw new ConfigException(st.locate(at) + ": " + at + ": run '" + r.name()
                                + "' is a frozen_actor run: name the study run whose actor it loads with actor_from");
                    jobs.add(new Job(r.name(), s, seed, dir, t, cfg, dependsOn));
                } catch (ConfigException e) {
                    // Config errors repeat identically for every seed; report them once.
                    if (s == 1) errors.addAll(e.errors());
                }
            }
        }
        if (errors.isEmpty()) {
            for (Job j : jobs) {
                if (j.dependsOn() == null || j.seedIndex() != 1) continue;
                Job source = find(jobs, j.dependsOn(), 1);
                if (source.config().mixing().method() != MixingMethod.ACODM) {
                    int i = sf.names().indexOf(j.name());
                    errors.add(st.locate("runs[" + i + "].actor_from") + ": runs[" + i + "].actor_from: '" + j.dependsOn() + "' is a "
                            + source.config().mixing().method().key() + " run; only an acodm run leaves an actor to load");
                }
            }
            if (!sf.noiseFloor().isEmpty()) {
                Job b = find(jobs, sf.baseline(), 1), f = find(jobs, sf.noiseFloor(), 1);
                List<ConfigDiff.Difference> d = ConfigDiff.between(b.config(), f.config(), Set.of("run.name", "run.sampler_seed_offset"));
                if (!d.isEmpty())
                    errors.add(st.locate("noise_floor") + ": noise_floor: '" + f.name() + "' must be the baseline '" + b.name()
                            + "' with another run.sampler_seed_offset and nothing else, but it differs at:" + ConfigDiff.describe(d));
                else if (b.config().run().samplerSeedOffset() == f.config().run().samplerSeedOffset())
                    errors.add(st.locate("noise_floor") + ": noise_floor: '" + f.name() + "' has the baseline's run.sampler_seed_offset ("
                            + b.config().run().samplerSeedOffset() + "), so it repeats the baseline exactly; set another in its set:, e.g. {run.sampler_seed_offset: 1}");
            }
        }
        if (!errors.isEmpty()) throw new ConfigException(errors);
        return new StudyPlan(studyFile, st, sf, name, outDir, seeds, jobs);
    }

    /** The entries of a set: mapping (dotted keys to values) applied to {@code t}, each naming its line in the study file. */
    private static ConfigTree withSet(ConfigTree t, ConfigTree study, String at, JsonNode set) {
        if (set == null || !set.isObject()) return t;
        for (Iterator<Map.Entry<String, JsonNode>> it = set.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            t = t.withValue(e.getKey(), e.getValue(), study.locate(at + "." + e.getKey()));
        }
        return t;
    }

    private static Job find(List<Job> jobs, String name, int seedIndex) {
        for (Job j : jobs) if (j.name().equals(name) && j.seedIndex() == seedIndex) return j;
        throw new IllegalStateException("no job " + name + " seed " + seedIndex);
    }

    /**
     * Jobs whose directory holds a run started under another configuration or trained on other data: a study never mixes
     * such a run into its table. One line each, naming the directory and what differs; empty when there is none.
     */
    public List<String> changedRuns() throws IOException {
        List<String> out = new ArrayList<>();
        Path data = Path.of(study.data().prepared());
        for (Job j : jobs) {
            RunStatus st = RunStatus.of(j.dir());
            List<ConfigDiff.Difference> d = st.configDifferences(j.config());
            if (!d.isEmpty()) out.add(j.label() + " in " + j.dir() + " was started under another configuration than the study gives it now:"
                    + ConfigDiff.describe(d));
            String dd = st.dataDifference(data);
            if (dd != null) out.add(j.label() + " in " + j.dir() + " trained on other data than " + data + " holds now (" + dd + ")");
        }
        return out;
    }

    public Job job(String run, int seedIndex) {
        for (Job j : jobs) if (j.name().equals(run) && j.seedIndex() == seedIndex) return j;
        throw new IllegalArgumentException("the study has no run '" + run + "' with seed " + seedIndex + " (runs: " + study.names()
                + ", seeds 1.." + seeds + ")");
    }

    public Path file() { return file; }
    public StudyFile study() { return study; }
    public String name() { return name; }
    public Path out() { return out; }
    public int seeds() { return seeds; }
    /** Seed-major: every run of seed 1 in the study's order, then seed 2, ... */
    public List<Job> jobs() { return jobs; }
    public Path reportDir() { return out.resolve("report"); }
    /** Where in the study file a key was written, for messages. */
    public String locate(String key) { return studyTree.locate(key); }
}
