package org.acodm.data;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Map;

/**
 * A step of {@code metrics.jsonl} skipped under train.skip_nonfinite_steps ({@code "type": "skipped_step"}): its
 * non-finite loss or gradient norm, the weights it was sampled with, and how many steps the run has skipped so far.
 * The report leaves these lines out.
 */
@JsonPropertyOrder({"type", "step", "reason", "loss", "grad_norm", "weights", "skipped_steps"})
@JsonIgnoreProperties(value = "type", allowGetters = true)
public record SkippedStepRecord(@JsonProperty(value = "step", required = true) long step,
                                @JsonProperty("reason") String reason,
                                @JsonProperty("loss") double loss,
                                @JsonProperty("grad_norm") double gradNorm,
                                @JsonProperty("weights") Map<String, Double> weights,
                                @JsonProperty("skipped_steps") long skippedSteps) {
    public static final String TYPE = "skipped_step";

    public SkippedStepRecord {
        weights = MetricNumber.ordered(weights);
    }

    @JsonProperty("type") public String type() { return TYPE; }
}
