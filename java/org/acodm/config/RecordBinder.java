package org.acodm.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.lang.reflect.Type;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Binds a YAML sub-tree onto a section record, key by key, collecting every error instead of stopping at
 * the first. Types are strict (a string is not silently a number) because a typo that quietly becomes a
 * default is worse than an error; the one leniency is a whole float for an integer key ({@code steps: 1e5}).
 */
final class RecordBinder {
    /** A value that could not be bound (its error is already recorded); distinct from a legitimate null. */
    private static final Object FAILED = new Object();

    private final ConfigErrors errors;

    RecordBinder(ConfigErrors errors) {
        this.errors = errors;
    }

    /** Binds {@code node} (null or missing: all defaults) at {@code path}; on errors returns null and leaves them in {@code errors}. */
    <R> R bindSection(JsonNode node, Class<R> type, String path) {
        Object r = section(node, type, path, RecordSchema.of(type).defaults());
        return r == FAILED ? null : type.cast(r);
    }

    /**
     * A {@link Default}'s text bound to {@code type} as the loader binds a value: the text itself for a string or
     * a path, parsed as YAML otherwise. Errors go to {@code errors} under {@code key}; null when there are any.
     */
    static Object defaultValue(String text, Type type, String key, ConfigErrors errors) {
        Class<?> raw = RecordSchema.rawClass(type);
        JsonNode node = raw == String.class || raw == Path.class ? JsonNodeFactory.instance.textNode(text) : ConfigTree.parseValue(text, key);
        Object v = new RecordBinder(errors).value(node == null ? JsonNodeFactory.instance.nullNode() : node, type, key, null);
        return v == FAILED ? null : v;
    }

    private Object section(JsonNode node, Class<?> type, String path, Object defaults) {
        RecordSchema schema = RecordSchema.of(type);
        if (node != null && !node.isObject() && !node.isNull()) {
            errors.scope(path).add("", "expected a section with keys " + schema.fields().stream().map(RecordSchema.Field::key).toList()
                    + ", got " + describe(node));
            return FAILED;
        }
        if (node != null && node.isObject()) {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (schema.field(k) == null) errors.addRaw(join(path, k), unknownKey(path, k, schema));
            }
        }
        boolean failed = false;
        List<RecordSchema.Field> fields = schema.fields();
        Object[] args = new Object[fields.size()];
        for (int i = 0; i < fields.size(); i++) {
            RecordSchema.Field f = fields.get(i);
            Object def = f.get(defaults);
            JsonNode child = node == null || !node.isObject() ? null : node.get(f.key());
            String key = join(path, f.key());
            if (child == null) {
                // Nested sections are still bound (from their defaults) so their own validation runs.
                args[i] = RecordSchema.isSection(f.raw()) ? section(null, f.raw(), key, def != null ? def : RecordSchema.of(f.raw()).defaults()) : def;
            } else {
                args[i] = value(child, f.type(), key, def);
            }
            failed |= args[i] == FAILED;
        }
        // Sections that bound but failed their own validation still count: their parent's checks may add more.
        if (failed) return FAILED;
        Object record;
        try {
            record = schema.construct(args);
        } catch (IllegalArgumentException | NullPointerException e) {
            errors.scope(path).add("", e.getMessage() == null ? e.toString() : e.getMessage());
            return FAILED;
        }
        if (record instanceof Validated v) v.validate(errors.scope(path));
        return record;
    }

    private Object value(JsonNode node, Type type, String key, Object def) {
        Class<?> raw = RecordSchema.rawClass(type);
        ConfigErrors here = errors.scope(key);
        if (node.isNull()) {
            if (raw.isPrimitive() || def != null) {
                here.add("", "must not be null (leave the key out to get the default)");
                return FAILED;
            }
            return null;
        }
        if (raw == boolean.class || raw == Boolean.class) {
            if (node.isBoolean()) return node.booleanValue();
            return wrongType(here, "true or false", node);
        }
        if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class) {
            boolean isInt = raw == int.class || raw == Integer.class;
            if (!node.isNumber()) return wrongType(here, "an integer", node);
            if (!node.isIntegralNumber()) {
                double v = node.doubleValue();
                if (v != Math.rint(v) || Double.isInfinite(v)) return wrongType(here, "an integer", node);
            }
            if (isInt ? !node.canConvertToInt() : !node.canConvertToLong()) {
                here.add("", "integer " + node.asText() + " is out of range for a " + (isInt ? "32" : "64") + "-bit integer");
                return FAILED;
            }
            return isInt ? (Object) node.asInt() : (Object) node.asLong();
        }
        if (raw == double.class || raw == Double.class || raw == float.class || raw == Float.class) {
            if (!node.isNumber()) return wrongType(here, "a number", node);
            return raw == float.class || raw == Float.class ? (Object) node.floatValue() : (Object) node.doubleValue();
        }
        if (raw == String.class) {
            if (node.isTextual()) return node.textValue();
            if (node.isValueNode()) {
                here.add("", "expected a string, got " + describe(node) + " (quote it: '" + node.asText() + "')");
                return FAILED;
            }
            return wrongType(here, "a string", node);
        }
        if (raw == Path.class) {
            if (!node.isTextual()) return wrongType(here, "a path (string)", node);
            try {
                return Path.of(node.textValue());
            } catch (InvalidPathException e) {
                here.add("", "not a valid path: " + e.getMessage());
                return FAILED;
            }
        }
        if (raw.isEnum()) return enumValue(node, raw, here);
        if (raw == List.class) {
            if (!node.isArray()) return wrongType(here, "a list", node);
            Type elem = RecordSchema.typeArgument(type, 0);
            List<Object> out = new ArrayList<>(node.size());
            for (int i = 0; i < node.size(); i++) out.add(value(node.get(i), elem, key + "[" + i + "]", null));
            return out.contains(FAILED) ? FAILED : Collections.unmodifiableList(out);
        }
        if (raw == Map.class) {
            if (!node.isObject()) return wrongType(here, "a mapping", node);
            Type keyType = RecordSchema.typeArgument(type, 0);
            if (keyType != String.class && keyType != Object.class) throw new IllegalStateException("config maps are keyed by strings, not " + keyType);
            Type val = RecordSchema.typeArgument(type, 1);
            Map<String, Object> out = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.put(e.getKey(), value(e.getValue(), val, key + "." + e.getKey(), null));
            }
            return out.containsValue(FAILED) ? FAILED : Collections.unmodifiableMap(out);
        }
        if (raw == Object.class) return plain(node);
        if (RecordSchema.isSection(raw)) return section(node, raw, key, def != null ? def : RecordSchema.of(raw).defaults());
        throw new IllegalStateException("config key " + key + " has unsupported type " + type);
    }

    private static Object enumValue(JsonNode node, Class<?> raw, ConfigErrors here) {
        Object[] constants = raw.getEnumConstants();
        List<String> names = new ArrayList<>();
        for (Object c : constants) names.add(RecordSchema.enumName((Enum<?>) c));
        if (!node.isTextual()) {
            here.add("", "expected one of " + String.join(", ", names) + ", got " + describe(node));
            return FAILED;
        }
        String text = node.textValue().trim().toLowerCase(Locale.ROOT).replace('-', '_');
        for (int i = 0; i < constants.length; i++) if (names.get(i).equals(text)) return constants[i];
        String near = Suggest.closest(text, names);
        here.add("", "expected one of " + String.join(", ", names) + ", got '" + node.textValue() + "'"
                + (near == null ? "" : " (did you mean '" + near + "'?)"));
        return FAILED;
    }

    /** A free-form value as plain Java objects (Map, List, String, Long/Integer, Double, Boolean, null). */
    static Object plain(JsonNode node) {
        if (node == null || node.isNull()) return null;
        if (node.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            node.fields().forEachRemaining(e -> m.put(e.getKey(), plain(e.getValue())));
            return Collections.unmodifiableMap(m);
        }
        if (node.isArray()) {
            List<Object> l = new ArrayList<>();
            node.forEach(n -> l.add(plain(n)));
            return Collections.unmodifiableList(l);
        }
        if (node.isBoolean()) return node.booleanValue();
        if (node.isInt()) return node.intValue();
        if (node.isIntegralNumber()) return node.canConvertToLong() ? (Object) node.longValue() : node.bigIntegerValue();
        if (node.isNumber()) return node.doubleValue();
        return node.asText();
    }

    private static Object wrongType(ConfigErrors here, String expected, JsonNode node) {
        here.add("", "expected " + expected + ", got " + describe(node));
        return FAILED;
    }

    private static String unknownKey(String path, String key, RecordSchema schema) {
        List<String> known = schema.fields().stream().map(RecordSchema.Field::key).toList();
        String near = Suggest.closest(key, known);
        return "unknown key '" + join(path, key) + "'"
                + (near != null ? " (did you mean '" + join(path, near) + "'?)" : " (known keys: " + String.join(", ", known) + ")");
    }

    static String describe(JsonNode node) {
        if (node == null || node.isNull()) return "null";
        if (node.isObject()) return "a mapping";
        if (node.isArray()) return "a list";
        if (node.isTextual()) return "string '" + node.textValue() + "'";
        if (node.isBoolean()) return "boolean " + node.booleanValue();
        if (node.isIntegralNumber()) return "integer " + node.asText();
        if (node.isNumber()) return "number " + node.asText();
        return node.getNodeType().toString().toLowerCase(Locale.ROOT);
    }

    static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }
}
