package org.acodm.mixing;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which layers the AC-ODM state and reward read, chosen by relative depth so a proxy and a target of different
 * depths give states of the same dimension. Positions are 1-based layer numbers; names are GPT-NeoX's
 * {@code gpt_neox.layers.{i}.mlp.dense_4h_to_h.weight} with i = position − 1.
 */
public final class LayerSelection {
    private LayerSelection() {}

    /**
     * {@code count} state layers: the first layer, then layer round(j · N / (count − 1)) for j = 1 .. count − 1
     * (halves round up). For N = 16 and count 9: 1, 2, 4, …, 16 (the first and every even layer); for N = 24:
     * 1, 3, 6, …, 24. A model shallower than count − 1 repeats layers, so L stays {@code count}.
     */
    public static List<Integer> statePositions(int numLayers, int count) {
        if (numLayers < 1) throw new IllegalArgumentException("model has " + numLayers + " layers");
        if (count < 1) throw new IllegalArgumentException("state layer count must be >= 1, got " + count);
        List<Integer> out = new ArrayList<>(count);
        out.add(1);
        for (int j = 1; j < count; j++) {
            long twice = 2L * j * numLayers;
            long den = 2L * (count - 1);
            out.add((int) Math.max(1, (twice + (count - 1)) / den));
        }
        return out;
    }

    /** The last {@code count} even layers (1-based): 12, 14, 16 of a 16-layer model; fewer when the model is shallow. */
    public static List<Integer> rewardPositions(int numLayers, int count) {
        if (numLayers < 1) throw new IllegalArgumentException("model has " + numLayers + " layers");
        if (count < 1) throw new IllegalArgumentException("reward layer count must be >= 1, got " + count);
        Set<Integer> out = new LinkedHashSet<>();
        int last = numLayers - numLayers % 2;
        for (int p = last - 2 * (count - 1); p <= last; p += 2) if (p >= 2) out.add(p);
        if (out.isEmpty()) out.add(numLayers);  // a 1-layer model has no even layer: use its only one
        return new ArrayList<>(out);
    }

    public static String mlpOutputWeight(int position) {
        return "gpt_neox.layers." + (position - 1) + ".mlp.dense_4h_to_h.weight";
    }

    public static List<String> names(List<Integer> positions) {
        return positions.stream().map(LayerSelection::mlpOutputWeight).toList();
    }
}
