package org.acodm.data;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.util.List;
import java.util.Map;

/**
 * One evaluation of {@code metrics.jsonl}, as the trainer writes it and the report reads it back: {@code "type":
 * "eval"} on the fixed validation windows, or {@code "final_eval"} on the larger final set, whose every window's loss
 * is in {@code file} ({@link WindowLosses#FILE}). Loss, perplexity and bits per byte are means over domains, per
 * domain too; a line without {@code ppl} reads it as exp(loss), other absent numbers as NaN.
 *
 * @param domainsWithoutVal domains of the run with no validation windows (an eval's only); null when there are none
 * @param windows           windows scored per domain (a final eval's only); null otherwise
 * @param file              the final eval's per-window losses ({@link WindowLosses#FILE}); null otherwise
 */
@JsonPropertyOrder({"type", "step", "loss", "ppl", "bpb", "domain_loss", "domain_ppl", "domain_bpb", "domains_without_val", "windows", "file"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EvalRecord(@JsonProperty(value = "type", required = true) String type,
                         @JsonProperty(value = "step", required = true) long step,
                         @JsonProperty("loss") @JsonDeserialize(using = MetricNumber.class) double loss,
                         @JsonProperty("ppl") @JsonDeserialize(using = MetricNumber.class) double ppl,
                         @JsonProperty("bpb") @JsonDeserialize(using = MetricNumber.class) double bpb,
                         @JsonProperty("domain_loss") Map<String, Double> domainLoss,
                         @JsonProperty("domain_ppl") Map<String, Double> domainPpl,
                         @JsonProperty("domain_bpb") Map<String, Double> domainBpb,
                         @JsonProperty("domains_without_val") List<String> domainsWithoutVal,
                         @JsonProperty("windows") Map<String, Integer> windows,
                         @JsonProperty("file") String file) {
    public static final String EVAL = "eval";
    public static final String FINAL_EVAL = "final_eval";

    public EvalRecord {
        if (Double.isNaN(ppl)) ppl = Math.exp(loss);
        domainLoss = MetricNumber.ordered(domainLoss);
        domainPpl = MetricNumber.ordered(domainPpl);
        domainBpb = MetricNumber.ordered(domainBpb);
    }

    /** True for the evaluation on the larger final set ({@link #FINAL_EVAL}). */
    @JsonIgnore public boolean finalSet() { return FINAL_EVAL.equals(type); }

    /** The mean over the domains not in {@code ignored} of the per-domain perplexity (the logged mean when none is ignored). */
    public double meanPpl(java.util.Collection<String> ignored) {
        if (ignored.isEmpty()) return ppl;
        double sum = 0;
        int n = 0;
        for (Map.Entry<String, Double> d : domainPpl.entrySet()) {
            if (ignored.contains(d.getKey()) || !Double.isFinite(d.getValue())) continue;
            sum += d.getValue();
            n++;
        }
        return n == 0 ? Double.NaN : sum / n;
    }
}
