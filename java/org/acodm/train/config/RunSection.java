package org.acodm.train.config;

import org.acodm.config.ConfigErrors;
import org.acodm.config.ConfigWriter;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;

/** Identity and placement of a run. */
public record RunSection(
        @Default("run") @Doc("Run name; the run directory and the report's legends use it.") String name,
        @Default("1234") @Doc("Seed of model initialisation, data sampling and the mixing policy; the same seed and config repeat a run exactly.") long seed,
        @Default("auto") @Doc("Where the model trains: cpu, cuda, or auto (cuda when a GPU is visible, else cpu).") Device device,
        @Default("0") @Doc("CPU threads of every compute pool (libtorch, OpenMP, the BLAS), whatever OMP_NUM_THREADS or OPENBLAS_NUM_THREADS say; 0 uses every CPU the process may run on. A run is bit-reproducible at the same count.") int threads)
        implements Validated {

    /** Device choice; {@code auto} picks CUDA when a GPU is present. */
    public enum Device { CPU, CUDA, AUTO;
        /** The engine's device string ("cpu", "cuda", "auto"). */
        public String engineName() { return ConfigWriter.enumName(this); }
    }

    public static RunSection defaults() {
        return Sections.defaults(RunSection.class);
    }

    @Override public void validate(ConfigErrors errors) {
        errors.check(name != null && !name.isBlank(), "name", "must not be empty");
        if (name != null && !name.matches("[A-Za-z0-9._+-]+"))
            errors.add("name", "may use letters, digits and . _ + - only (it names a directory), got '" + name + "'");
        errors.check(threads >= 0, "threads", "must be >= 0 (0 = all cores), got " + threads);
    }
}
