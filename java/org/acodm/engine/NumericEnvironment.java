package org.acodm.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What decides the bits of a result besides the config: the compute threads (libtorch, OpenMP and the BLAS
 * pinned together), the BLAS library and the kernel core it dispatched to, the CPU and its instruction set, the
 * Gram kernel flavour, the libtorch version and the device. Two runs of one config agree bit for bit when these
 * agree; a checkpoint records them so that a resume under other ones can say what differs.
 */
public record NumericEnvironment(Map<String, String> values) {
    public NumericEnvironment {
        values = Collections.unmodifiableMap(new TreeMap<>(values));
    }

    /** The engine's "key=value" lines. */
    static NumericEnvironment parse(String lines) {
        return new NumericEnvironment(KeyValues.decode(lines, '\n'));
    }

    public NumericEnvironment with(String key, String value) {
        Map<String, String> m = new TreeMap<>(values);
        m.put(key, value);
        return new NumericEnvironment(m);
    }

    /** "key: recorded vs now" for every key whose value differs (a key missing on one side reads "(not recorded)"). */
    public List<String> differences(NumericEnvironment now) {
        TreeMap<String, String> keys = new TreeMap<>(values);
        keys.putAll(now.values);
        List<String> out = new ArrayList<>();
        for (String k : keys.keySet()) {
            String a = values.getOrDefault(k, "(not recorded)"), b = now.values.getOrDefault(k, "(not recorded)");
            if (!a.equals(b)) out.add(k + ": " + a + " then vs " + b + " now");
        }
        return out;
    }
}
