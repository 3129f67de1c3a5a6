package org.acodm.train.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.acodm.config.ReferencePage;
import org.acodm.io.AtomicFile;
import org.acodm.mixing.MixingMethod;
import org.acodm.mixing.MixingSection;

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
        for (MixingMethod method : MixingMethod.values()) m.put(MixingSection.settingsKey(method), method.settingsClass());
        return m;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ConfigReference OUTPUT.md");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        AtomicFile.write(out, markdown());
        System.out.println("wrote " + out);
    }

    /** The whole page. */
    public static String markdown() {
        return "# Configuration reference\n\n"
                + "<!-- Generated from the config records by org.acodm.train.config.ConfigReference; do not edit by hand.\n"
                + "     Regenerate: java -cp target/acodm-cli.jar org.acodm.train.config.ConfigReference docs/config.md -->\n\n"
                + INTRO + ReferencePage.render(documentedSections());
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

            A key given twice is an error, and so are YAML aliases (`*base`, `<<: *base`) and anchors (`&base`): every value
            is written out where it applies. Weight-map files (`mixing.*.file`, `configs/weights/`) are read by the same
            reader, with the same rules and errors.

            The resolved configuration (file + overrides + defaults) is written into every run directory and
            checkpoint; resuming a checkpoint under a configuration that differs in any key the trainer
            compares is refused with the list of differing keys.

            The settings of each mixing method (`mixing.static`, `mixing.acodm`, ...) are checked against that
            method's own section record, with the same errors, when the run starts.

            """;
}
