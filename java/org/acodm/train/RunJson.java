package org.acodm.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.acodm.config.ConfigWriter;
import org.acodm.engine.Model;
import org.acodm.engine.NumericEnvironment;
import org.acodm.train.config.RunConfig;

/**
 * RUN_DIR/run.json: what a run is (name, method, model, domains in id order, the size of a step, tokenizer, device,
 * numeric environment, data, the resolved config) and whether it reached train.steps.
 */
record RunJson(String name, String method, String model, long parameters, List<String> domains, long steps,
               @JsonProperty("tokens_per_step") long tokensPerStep, String tokenizer, String device,
               @JsonProperty(NUMERIC_ENVIRONMENT) Map<String, String> numericEnvironment, DataIdentity data, boolean complete,
               JsonNode config) {
    /** Key of the numeric environment in run.json and trainer.json. */
    static final String NUMERIC_ENVIRONMENT = "numeric_environment";

    static RunJson of(RunConfig cfg, Model model, List<String> domains, String tokenizer, NumericEnvironment env, DataIdentity data) {
        return new RunJson(cfg.run().name(), cfg.mixing().method().key(), model.configString(), model.numParameters(), List.copyOf(domains),
                cfg.train().steps(), (long) cfg.data().batchSize() * cfg.data().seqLen(), tokenizer, model.deviceName(), env.values(), data,
                false, ConfigWriter.toNode(cfg));
    }

    RunJson withComplete(boolean done) {
        return new RunJson(name, method, model, parameters, domains, steps, tokensPerStep, tokenizer, device, numericEnvironment, data, done, config);
    }
}
