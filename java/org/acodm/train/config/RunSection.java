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
        @Default("0") @Doc("Moves the sampler to another random stream while the seed keeps the model's initialisation and the policy's draws: two runs that differ only here measure the noise floor of a comparison (`acodm study`). 0 is the seed's own stream.") long samplerSeedOffset,
        @Default("auto") @Doc("Where the model trains: cpu, cuda, or auto (cuda when a GPU is visible, else cpu).") Device device,
        @Default("0") @Doc("CPU threads of every compute pool (libtorch, OpenMP, the BLAS), whatever OMP_NUM_THREADS or OPENBLAS_NUM_THREADS say; 0 uses every CPU the process may run on, shared out among the ranks of one host (LOCAL_WORLD_SIZE). A run is bit-reproducible at the same count.") int threads,
        @Default("300") @Doc("Data-parallel runs: seconds that bound the rendezvous and every collective; a rank that is gone or stuck becomes an error naming it after at most this long, never a hang.") double distTimeout,
        @Default("25") @Doc("Data-parallel runs: size in MiB of the flat buffers the gradients are all-reduced in (PyTorch DDP's default); it changes speed, not results.") double distBucketMb,
        @Default("100") @Doc("Data-parallel runs: every this many steps (and after the last) the ranks compare a hash of the weights and the policy state and stop if they differ; 0 never.") long distCheckInterval)
        implements Validated {

    /** Device choice; {@code auto} picks CUDA when a GPU is present. */
    public enum Device { CPU, CUDA, AUTO;
        /** The engine's device string ("cpu", "cuda", "auto"). */
        public String engineName() { return ConfigWriter.enumName(this); }
    }

    /** The sampler's seed: {@code seed} itself at offset 0, else a stream decorrelated from it and from every other offset. */
    public long samplerSeed() {
        return samplerSeedOffset == 0 ? seed : seed ^ org.acodm.data.CounterRandom.SAMPLER.bits(samplerSeedOffset, 0, 0, 0, 0);
    }

    public static RunSection defaults() {
        return Sections.defaults(RunSection.class);
    }

    @Override public void validate(ConfigErrors errors) {
        errors.check(name != null && !name.isBlank(), "name", "must not be empty");
        if (name != null && !name.matches("[A-Za-z0-9._+-]+"))
            errors.add("name", "may use letters, digits and . _ + - only (it names a directory), got '" + name + "'");
        errors.check(threads >= 0, "threads", "must be >= 0 (0 = all cores), got " + threads);
        errors.check(distTimeout > 0, "dist_timeout", "must be > 0 seconds, got " + distTimeout);
        errors.check(distBucketMb > 0 && distBucketMb * (1 << 20) >= 1, "dist_bucket_mb", "must be > 0, got " + distBucketMb);
        errors.check(distCheckInterval >= 0, "dist_check_interval", "must be >= 0 (0 = never), got " + distCheckInterval);
    }
}
