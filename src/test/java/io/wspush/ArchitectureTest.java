package io.wspush;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The package layout is the architecture (README "Layout"): each package sits on a layer and imports only packages of
 * lower layers, never one beside or above it, so no two packages import each other. A new package must be placed
 * here first.
 */
class ArchitectureTest {

    /** Bottom first. Packages on one layer must not import each other. "" is io.wspush itself. */
    static final List<List<String>> LAYERS = List.of(
            List.of("json", "config"),                      // JSON-P plumbing, settings
            List.of("protocol", "metrics", "auth"),         // the wire contract, meters, tokens and keys
            List.of("connection"),                          // one socket and its writer
            List.of("registry", "broker"),                  // who is connected here; how pushes reach other nodes
            List.of("receipts"),                            // who got a push and acknowledged it, who waits for that
            List.of("node"),                                // lifecycle, publish, the socket side
            List.of("rest"),                                // JAX-RS plumbing shared by the resources
            List.of("endpoint", "push", "presence", "admin", "web"), // the faces: /ws, /push, /presence, /admin /health /metrics, filters
            List.of(""));                                   // the JAX-RS application

    static final Map<String, Integer> RANK = IntStream.range(0, LAYERS.size()).boxed()
            .flatMap(i -> LAYERS.get(i).stream().map(p -> Map.entry(p, i)))
            .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));

    static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.wspush");

    /** "admin" for io.wspush.admin.AdminResource, "" for io.wspush.RestApplication. */
    static String room(JavaClass c) {
        String p = c.getPackageName();
        if (p.equals("io.wspush")) return "";
        String rest = p.substring("io.wspush.".length());
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }

    static final ArchCondition<JavaClass> ONLY_IMPORT_LOWER_LAYERS = new ArchCondition<>("import only packages of lower layers") {
        @Override
        public void check(JavaClass c, ConditionEvents events) {
            String from = room(c);
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                JavaClass target = d.getTargetClass();
                if (!target.getPackageName().startsWith("io.wspush")) continue;
                String to = room(target);
                if (to.equals(from)) continue;
                Integer fromRank = RANK.get(from), toRank = RANK.get(to);
                if (fromRank == null || toRank == null || toRank >= fromRank) {
                    events.add(SimpleConditionEvent.violated(d, "'" + from + "' (layer " + fromRank + ") uses '" + to
                            + "' (layer " + toRank + "): " + d.getDescription()));
                }
            }
        }
    };

    @Test
    void everyPackageHasALayer() {
        TreeSet<String> rooms = MAIN.stream().map(ArchitectureTest::room).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(RANK.keySet()), rooms, "packages in the code vs. packages placed in LAYERS");
    }

    @Test
    void packagesImportOnlyLowerLayers() {
        classes().should(ONLY_IMPORT_LOWER_LAYERS).check(MAIN);
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("io.wspush.(*)..").should().beFreeOfCycles().check(MAIN);
    }
}
