package org.acodm.mixing;

import java.util.Map;
import org.acodm.config.ConfigErrors;
import org.acodm.config.Doc;
import org.acodm.config.Validated;

/** Section {@code mixing.doge}: DoGE's online reweighting by gradient alignment. */
@Doc("DoGE: exponentiated update of the domain weights from the gradient-alignment matrix S")
public record DogeConfig(
        @Doc("mu: temperature of alpha <- softmax(log alpha + W / mu)") double mu,
        @Doc("reweighting rate lr_t; 0 uses the model's learning rate of the step (DoGE's choice)") double lr,
        @Doc("W is clipped to [0, clip * lr_t]") double clip,
        @Doc("number of layers S is computed over: the last ones of even depth (mlp.dense_4h_to_h weights)") int alignmentLayers,
        @Doc("initial weights: uniform, natural (proportional to train tokens), file or map") WeightSource initialSource,
        @Doc("YAML weight map when initialSource is file") String initialFile,
        @Doc("inline weight map when initialSource is map") Map<String, Double> initialWeights) implements Validated {

    public static DogeConfig defaults() {
        return new DogeConfig(0.01, 0.0, 5.0, 3, WeightSource.UNIFORM, "", Map.of());
    }

    @Override public void validate(ConfigErrors errors) {
        errors.check(mu > 0, "mu", "must be > 0, got " + mu);
        errors.check(lr >= 0, "lr", "must be >= 0 (0: the model's learning rate), got " + lr);
        errors.check(clip > 0, "clip", "must be > 0, got " + clip);
        errors.check(alignmentLayers >= 1, "alignment_layers", "must be >= 1, got " + alignmentLayers);
    }
}
