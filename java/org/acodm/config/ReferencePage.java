package org.acodm.config;

import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Renders section records as the tables of a configuration reference page: every key with its type, default and
 * one-line description, nested sections as sub-headings. What to document, and the page's introduction, belong
 * to the application (train.config.ConfigReference).
 */
public final class ReferencePage {
    private ReferencePage() {}

    /** The tables of {@code sections}, keyed by the dotted key each is bound at ("" for the root record). */
    public static String render(Map<String, Class<?>> sections) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Class<?>> e : sections.entrySet()) {
            String prefix = e.getKey();
            RecordSchema schema = RecordSchema.of(e.getValue());
            Object defaults = schema.defaults();
            List<String[]> rows = new ArrayList<>();
            List<Runnable> nested = new ArrayList<>();
            if (!prefix.isEmpty()) {
                sb.append("## `").append(prefix).append("`\n\n");
                if (!schema.doc().isEmpty()) sb.append(schema.doc()).append("\n\n");
            }
            for (RecordSchema.Field f : schema.fields()) {
                String key = RecordBinder.join(prefix, f.key());
                if (RecordSchema.isSection(f.raw())) {
                    nested.add(() -> section(sb, key, f, f.get(defaults), prefix.isEmpty() ? 2 : 3));
                } else {
                    rows.add(row(key, f, f.get(defaults)));
                }
            }
            if (!rows.isEmpty()) table(sb, rows);
            nested.forEach(Runnable::run);
        }
        return sb.toString();
    }

    private static void section(StringBuilder sb, String key, RecordSchema.Field field, Object defaults, int level) {
        RecordSchema schema = RecordSchema.of(field.raw());
        if (defaults == null) defaults = schema.defaults();
        sb.append("#".repeat(level)).append(" `").append(key).append("`\n\n");
        sb.append(field.doc()).append(schema.doc().isEmpty() ? "" : " " + schema.doc()).append("\n\n");
        List<String[]> rows = new ArrayList<>();
        List<Object[]> nested = new ArrayList<>();
        for (RecordSchema.Field f : schema.fields()) {
            String k = key + "." + f.key();
            if (RecordSchema.isSection(f.raw())) nested.add(new Object[] {k, f, f.get(defaults)});
            else rows.add(row(k, f, f.get(defaults)));
        }
        if (!rows.isEmpty()) table(sb, rows);
        for (Object[] n : nested) section(sb, (String) n[0], (RecordSchema.Field) n[1], n[2], Math.min(level + 1, 6));
    }

    private static String[] row(String key, RecordSchema.Field f, Object def) {
        return new String[] {"`" + key + "`", typeName(f.type()), defaultText(def), f.doc()};
    }

    private static void table(StringBuilder sb, List<String[]> rows) {
        sb.append("| key | type | default | description |\n|---|---|---|---|\n");
        for (String[] r : rows) {
            sb.append('|');
            for (String c : r) sb.append(' ').append(c.replace("|", "\\|").replace("\n", " ")).append(" |");
            sb.append('\n');
        }
        sb.append('\n');
    }

    static String typeName(Type type) {
        Class<?> raw = RecordSchema.rawClass(type);
        if (raw == boolean.class || raw == Boolean.class) return "boolean";
        if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class) return "integer";
        if (raw == double.class || raw == Double.class || raw == float.class || raw == Float.class) return "number";
        if (raw == String.class) return "string";
        if (raw == Path.class) return "path";
        if (raw.isEnum()) {
            List<String> names = new ArrayList<>();
            for (Object c : raw.getEnumConstants()) names.add(RecordSchema.enumName((Enum<?>) c));
            return "one of " + String.join(", ", names);
        }
        if (raw == List.class) return "list of " + typeName(RecordSchema.typeArgument(type, 0));
        if (raw == Map.class) {
            Type v = RecordSchema.typeArgument(type, 1);
            return v == Object.class ? "mapping (free-form)" : "mapping of name to " + typeName(v);
        }
        if (raw == Object.class) return "any";
        if (raw.isRecord()) return "section";
        return raw.getSimpleName();
    }

    private static String defaultText(Object def) {
        if (def == null) return "(none)";
        if (def instanceof Collection<?> c && c.isEmpty()) return "`[]`";
        if (def instanceof Map<?, ?> m && m.isEmpty()) return "`{}`";
        String text = ConfigWriter.toNode(def).isTextual() ? ConfigWriter.toNode(def).textValue() : ConfigWriter.toNode(def).toString();
        return text.isEmpty() ? "`\"\"`" : "`" + text + "`";
    }
}
