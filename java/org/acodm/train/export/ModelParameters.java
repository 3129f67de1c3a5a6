package org.acodm.train.export;

import java.util.List;
import org.acodm.engine.Model;

/**
 * The engine's model as a {@link ParameterSource}. Shapes come from {@link GptNeoxDims} (parsed from the model's
 * own canonical config), and every tensor's size is checked against them, so a naming or layout change in the
 * engine fails the export instead of writing a file that loads wrongly.
 */
public final class ModelParameters implements ParameterSource {
    private final Model model;
    private final GptNeoxDims dims;
    private final List<String> names;

    public ModelParameters(Model model) {
        this.model = model;
        this.dims = GptNeoxDims.parse(model.configString());
        this.names = List.copyOf(model.parameterNames());
        List<String> expected = dims.parameterNames();
        if (!names.equals(expected))
            throw new IllegalStateException("the engine's parameters are not GPTNeoXForCausalLM's: got " + names.size() + " names, expected "
                    + expected.size() + (names.isEmpty() ? "" : " (first: " + names.get(0) + ")"));
    }

    public GptNeoxDims dims() { return dims; }

    @Override public List<String> names() { return names; }

    @Override public long[] shape(String name) { return dims.shape(name); }

    @Override public float[] values(String name) {
        float[] v = model.parameter(name);
        long n = 1;
        for (long s : dims.shape(name)) n *= s;
        if (v.length != n) throw new IllegalStateException(name + " has " + v.length + " values, its shape needs " + n);
        return v;
    }
}
