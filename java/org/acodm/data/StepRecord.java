package org.acodm.data;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.util.Map;

/**
 * One training step of {@code metrics.jsonl} ({@code "type": "step"}), as the trainer writes it and the report reads it
 * back (docs/training.md lists the fields); numbers absent from a line read as NaN.
 *
 * @param weights         the α the step was sampled with, by domain
 * @param reportedWeights the weights a policy reports as learned when they are not its current ones (DoGE's running
 *                        average); null otherwise
 * @param policy          the policy's scalars, each under {@code policy_NAME} at the top level of the line
 * @param alignment       the step's S by row and column domain (train.log_alignment); null otherwise
 */
@JsonPropertyOrder({"type", "step", "loss", "domain_loss", "weights", "reported_weights", "lr", "grad_norm", "policy", "alignment",
        "tokens_per_s", "elapsed_s"})
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(value = "type", allowGetters = true)
public record StepRecord(@JsonProperty(value = "step", required = true) long step,
                         @JsonProperty("loss") @JsonDeserialize(using = MetricNumber.class) double loss,
                         @JsonProperty("domain_loss") Map<String, Double> domainLoss,
                         @JsonProperty("weights") Map<String, Double> weights,
                         @JsonProperty("reported_weights") Map<String, Double> reportedWeights,
                         @JsonProperty("lr") @JsonDeserialize(using = MetricNumber.class) double lr,
                         @JsonProperty("grad_norm") @JsonDeserialize(using = MetricNumber.class) double gradNorm,
                         @JsonAnyGetter @JsonAnySetter Map<String, Double> policy,
                         @JsonProperty("alignment") Map<String, Map<String, Double>> alignment,
                         @JsonProperty("tokens_per_s") @JsonDeserialize(using = MetricNumber.class) double tokensPerSecond,
                         @JsonProperty("elapsed_s") @JsonDeserialize(using = MetricNumber.class) double elapsedSeconds) {
    public static final String TYPE = "step";
    /** Prefix of the policy's scalars among the line's keys. */
    public static final String POLICY_PREFIX = "policy_";

    public StepRecord {
        domainLoss = MetricNumber.ordered(domainLoss);
        weights = MetricNumber.ordered(weights);
        reportedWeights = reportedWeights == null ? null : MetricNumber.ordered(reportedWeights);
        policy = MetricNumber.ordered(policy);
    }

    @JsonProperty("type") public String type() { return TYPE; }
}
