package org.acodm.train.config;

import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Generates docs/config.md, the configuration reference, from the section records: every key with its type,
 * default and one-line description. ConfigReferenceTest fails when the committed page is stale; regenerate with
 * {@code java -cp target/acodm-cli.jar org.acodm.train.config.ConfigReference docs/config.md}.
 */
public final class ConfigReference {
    private ConfigReference() {}

    /**
     * The documented trees, by the dotted key they are bound at. Sections bound separately (a mixing method's
     * settings, bound with {@code tree.bind("mixing.acodm", ...)}) are added here so they appear on the page.
     */
    public static Map<String, Class<?>> documentedSections() {
        Map<String, Class<?>> m = new LinkedHashMap<>();
        m.put("", RunConfig.class);
        // The policies' settings are bound separately (mixing.METHOD); document every key of each.
        m.put("mixing.static", org.acodm.mixing.StaticConfig.class);
        m.put("mixing.odm", org.acodm.mixing.OdmConfig.class);
        m.put("mixing.doge", org.acodm.mixing.DogeConfig.class);
        m.put("mixing.acodm", org.acodm.mixing.AcOdmConfig.class);
        m.put("mixing.frozen_actor", org.acodm.mixing.FrozenActorConfig.class);
        return m;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ConfigReference OUTPUT.md");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        ConfigWriter.writeAtomically(out, markdown().getBytes(StandardCharsets.UTF_8));
        System.out.println("wrote " + out);
    }

    /** The whole page. */
    public static String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Configuration reference\n\n")
          .append("<!-- Generated from the config records by org.acodm.train.config.ConfigReference; do not edit by hand.\n")
          .append("     Regenerate: java -cp target/acodm-cli.jar org.acodm.train.config.ConfigReference docs/config.md -->\n\n")
          .append(INTRO);
        for (Map.Entry<String, Class<?>> e : documentedSections().entrySet()) {
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

    private static final String INTRO = """
            A run is configured by one YAML file (see `configs/`) plus `--set KEY=VALUE` overrides on the command line.
            Every key below except `data.path` is optional: a missing key takes the default shown. Keys are dotted paths into the file,
            so `optimizer.lr` is

            ```yaml
            optimizer:
              lr: 3.0e-4
            ```

            and `--set optimizer.lr=3e-4` overrides it. An override's value is read as YAML: a scalar (`3e-4`,
            `true`, `cuda`), a list (`--set 'data.domains=[Github, ArXiv]'`) or a mapping
            (`--set 'mixing.static={source: uniform}'`); it replaces the whole value at that key.

            Errors name the file, the line and the full key, and all of them are reported at once:

            ```
            configs/x.yaml:14: unknown key 'optimizer.lrr' (did you mean 'optimizer.lr'?)
            configs/x.yaml:9: data.batch_size: expected an integer, got string 'eight'
            --set optimizer.beta2=1.5: optimizer.beta2: must lie in [0, 1), got 1.5
            ```

            Types are strict: a quoted `'8'` is not an integer, and a string key given something YAML reads as a
            number must be quoted (`model.config: 410m` is already a string; `run.name: 2024` must be
            `run.name: '2024'`). Integers may be written as whole floats (`train.steps: 1e5`). Enumerations are
            case-insensitive.

            The resolved configuration (file + overrides + defaults) is written into every run directory and
            checkpoint; resuming a checkpoint under a configuration that differs in any key the trainer
            compares is refused with the list of differing keys.

            The settings of each mixing method (`mixing.static`, `mixing.acodm`, ...) are checked against that
            method's own section record, with the same errors, when the run starts.

            """;
}
