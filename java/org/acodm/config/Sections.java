package org.acodm.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Section records built in code: their defaults (every key from its {@link Default}) and copies with some keys
 * changed by name, so no caller writes a long positional constructor call in which two swapped numbers of the
 * same type would still compile.
 */
public final class Sections {
    private Sections() {}

    /** {@code type} with every key at its default (not validated: a required key such as data.path stays null). */
    public static <R> R defaults(Class<R> type) {
        return type.cast(RecordSchema.of(type).defaults());
    }

    /**
     * A copy of {@code section} with the keys given by their YAML names changed: {@code with(c, "hidden", 64,
     * "layers", 2)}. A value must have the key's type (boxed); an unknown key or another type is an
     * IllegalArgumentException naming the key.
     */
    @SuppressWarnings("unchecked")
    public static <R> R with(R section, String key, Object value, Object... moreKeysAndValues) {
        if (moreKeysAndValues.length % 2 != 0) throw new IllegalArgumentException("keys and values must come in pairs");
        RecordSchema schema = RecordSchema.of(section.getClass());
        List<RecordSchema.Field> fields = schema.fields();
        Object[] values = new Object[fields.size()];
        for (int i = 0; i < values.length; i++) values[i] = fields.get(i).get(section);
        List<Object> changes = new ArrayList<>(List.of(key, value));
        changes.addAll(java.util.Arrays.asList(moreKeysAndValues));
        for (int c = 0; c < changes.size(); c += 2) {
            String k = String.valueOf(changes.get(c));
            Object v = changes.get(c + 1);
            RecordSchema.Field field = schema.field(k);
            int i = field == null ? -1 : fields.indexOf(field);
            if (i < 0)
                throw new IllegalArgumentException(section.getClass().getSimpleName() + " has no key '" + k + "' (keys: "
                        + fields.stream().map(RecordSchema.Field::key).toList() + ")");
            Class<?> expected = boxed(fields.get(i).raw());
            if (v == null ? fields.get(i).raw().isPrimitive() : !expected.isInstance(v))
                throw new IllegalArgumentException(section.getClass().getSimpleName() + "." + k + " is a " + expected.getSimpleName()
                        + ", got " + (v == null ? "null" : v.getClass().getSimpleName() + " " + v));
            values[i] = v;
        }
        return (R) schema.construct(values);
    }

    private static Class<?> boxed(Class<?> c) {
        if (!c.isPrimitive()) return c;
        if (c == int.class) return Integer.class;
        if (c == long.class) return Long.class;
        if (c == double.class) return Double.class;
        if (c == float.class) return Float.class;
        if (c == boolean.class) return Boolean.class;
        throw new IllegalStateException("config keys are not " + c);
    }
}
