package org.acodm.engine;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The one reader of the engine's "key=value" text (native/src/key_values.h writes it): the numeric environment and
 * the process group's statistics (one item a line), the model's canonical configuration and an exported actor's shape
 * (items joined by ',').
 */
public final class KeyValues {
    private KeyValues() {}

    /** The items of {@code text} in their order; empty items are skipped, an item without '=' has the value "". */
    public static Map<String, String> decode(String text, char separator) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String item : text.split(Pattern.quote(String.valueOf(separator)))) {
            if (item.isEmpty()) continue;
            int eq = item.indexOf('=');
            if (eq < 0) out.put(item, "");
            else out.put(item.substring(0, eq), item.substring(eq + 1));
        }
        return out;
    }
}
