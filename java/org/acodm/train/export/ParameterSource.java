package org.acodm.train.export;

import java.util.List;

/** Named float32 tensors to export, fetched one at a time so a 1B model never needs two copies in memory. */
public interface ParameterSource {
    /** Tensor names in the order they are written. */
    List<String> names();

    /** Row-major shape of {@code name}. */
    long[] shape(String name);

    /** The values of {@code name}, row-major; length is the product of its shape. */
    float[] values(String name);
}
