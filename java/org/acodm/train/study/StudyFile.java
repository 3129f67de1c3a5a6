package org.acodm.train.study;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.acodm.config.ConfigErrors;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Validated;

/**
 * A study file ({@code acodm study STUDY.yaml}): the data, the named runs to compare, the baseline they are compared
 * with, and the seeds. Read by the same machinery as run configs ({@link org.acodm.config.ConfigTree}): unknown keys,
 * wrong types and the checks below are errors naming the file and line, all reported before anything runs.
 */
public record StudyFile(
        @Default("") @Doc("Name of the study (default: the file's name without .yaml); the default output directory is runs/NAME.") String name,
        @Doc("The data every run trains on.") StudyData data,
        @Default("1") @Doc("Seeds per run. Seed s of every run uses run.seed = seed + s - 1: the same initialisation, the same evaluation windows and the same sampler stream, so runs are compared seed by seed (paired).") int seeds,
        @Default("1234") @Doc("The first seed; it replaces run.seed in every run's config.") long seed,
        @Doc("The run every other run is compared with (its name in runs). Required.") String baseline,
        @Default("") @Doc("A run that repeats the baseline with another sampler stream (run.sampler_seed_offset), nothing else changed: its difference to the baseline is the noise floor printed at the top of the report. Empty: none.") String noiseFloor,
        @Default("[]") @Doc("Domains left out of every mean perplexity and reported by their weight instead (e.g. Noise domains of `acodm corpus noisy`).") List<String> ignoreDomains,
        @Default("{}") @Doc("Keys set in every run, as a mapping of dotted keys to values (e.g. {train.steps: 200}); a run's own set: wins.") Map<String, Object> set,
        @Default("[]") @Doc("The runs, in the order they train (a run that loads another's actor comes after it).") List<StudyRun> runs)
        implements Validated {

    /** The data: a prepared directory, and optionally the Pile-layout corpus it is prepared from. */
    public record StudyData(
            @Default("") @Doc("A corpus in The Pile's layout; when set, the study prepares it into data.prepared with data.tokenizer first (a prepared directory that is up to date is reused). Relative paths resolve against the working directory.") String corpus,
            @Doc("The prepared data directory every run trains on (data.path of each run). Required.") String prepared,
            @Default("byte") @Doc("Tokenizer spec used to prepare data.corpus (as `acodm prepare --tokenizer`).") String tokenizer)
            implements Validated {
        @Override public void validate(ConfigErrors errors) {
            errors.check(prepared != null && !prepared.isBlank(), "prepared", "is required: the prepared data directory the runs train on");
        }
    }

    /** One named run of the study. */
    public record StudyRun(
            @Doc("The run's name: its directory under each seed's folder and its row in the report. Required.") String name,
            @Doc("Its run config (YAML); a relative path resolves against the study file's directory. Required.") String config,
            @Default("{}") @Doc("Keys set in this run only (dotted keys to values), after the study's set:.") Map<String, Object> set,
            @Default("") @Doc("For a frozen_actor run: the earlier run of this study whose actor it loads (of the same seed); sets mixing.frozen_actor.actor.") String actorFrom)
            implements Validated {
        @Override public void validate(ConfigErrors errors) {
            errors.check(name != null && !name.isBlank(), "name", "is required");
            if (name != null && !name.isBlank() && !name.matches("[A-Za-z0-9._+-]+"))
                errors.add("name", "may use letters, digits and . _ + - only (it names a directory), got '" + name + "'");
            errors.check(config != null && !config.isBlank(), "config", "is required: the run's config file");
        }
    }

    @Override public void validate(ConfigErrors errors) {
        errors.check(seeds >= 1, "seeds", "must be >= 1, got " + seeds);
        if (runs.isEmpty()) {
            errors.add("runs", "names no run; a study compares at least a baseline and one other run");
            return;
        }
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < runs.size(); i++) {
            StudyRun r = runs.get(i);
            if (r.name() == null) continue;
            Integer first = index.putIfAbsent(r.name(), i);
            if (first != null) errors.add("runs[" + i + "].name", "'" + r.name() + "' is already the name of runs[" + first + "]");
        }
        for (int i = 0; i < runs.size(); i++) {
            String from = runs.get(i).actorFrom();
            if (from == null || from.isEmpty()) continue;
            Integer at = index.get(from);
            if (at == null) errors.add("runs[" + i + "].actor_from", "names no run of this study: '" + from + "' (runs: " + names() + ")");
            else if (at >= i) errors.add("runs[" + i + "].actor_from", "'" + from + "' is runs[" + at + "], which trains "
                    + (at == i ? "as this run itself" : "after this one") + "; list the run whose actor is loaded first");
        }
        if (baseline == null || baseline.isBlank()) errors.add("baseline", "is required: the name of the run every other run is compared with");
        else if (!index.containsKey(baseline)) errors.add("baseline", "names no run of this study: '" + baseline + "' (runs: " + names() + ")");
        if (!noiseFloor.isEmpty()) {
            if (!index.containsKey(noiseFloor)) errors.add("noise_floor", "names no run of this study: '" + noiseFloor + "' (runs: " + names() + ")");
            else if (noiseFloor.equals(baseline)) errors.add("noise_floor", "is the baseline itself; it must be a copy of it with another run.sampler_seed_offset");
        }
    }

    /** The runs' names in order. */
    public List<String> names() {
        return runs.stream().map(StudyRun::name).toList();
    }
}
