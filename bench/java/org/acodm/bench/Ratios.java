package org.acodm.bench;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a lockstep {@code @Benchmark} method: the ratios {@link Report} computes per iteration from the method's
 * {@code @AuxCounters} fields ({@code <side>Ns}, nanoseconds of each side summed over the iteration's invocations),
 * and which of them, at which parameter point, make the group's headline (bench/run.sh's last line).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Ratios {
    Ratio[] value();

    /** The parameter point of the headline, as {@code name=value} pairs; empty, or not measured: the last point run. */
    String[] headlineAt() default {};

    /** Time of side {@link #of} over time of side {@link #over}, per iteration. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({})
    @interface Ratio {
        String label();

        String of();

        String over();

        /** The number's format in the report. */
        String format() default "%.3f";

        /** Part of the group's headline line. */
        boolean headline() default false;
    }
}
