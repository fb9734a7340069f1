package dev.phaseshift.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phaseshift.activities.MigrationMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * No Docker engine runs where the tests run, so the production stack is checked as files: the
 * services exist with pinned images, the worker's environment names real application settings,
 * Prometheus scrapes the worker where it listens, and Grafana's dashboard asks for series the
 * worker exports.
 */
class ComposeStackTest {
  static final Path DOCKER = Path.of("..", "docker");
  static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z0-9_]+)[:}]");

  final Map<String, Object> compose = yaml(DOCKER.resolve("compose.yaml"));
  final Map<String, Map<String, Object>> services = map(compose.get("services"));

  @Test
  void everyServiceExistsWithAPinnedImage() throws IOException {
    assertThat(services).containsKeys("temporal-postgresql", "temporal", "temporal-ui", "worker", "prometheus", "grafana");
    for (var service : services.entrySet()) {
      String image = (String) service.getValue().get("image");
      assertThat(image).as(service.getKey() + " image").isNotNull();
      assertPinned(service.getKey(), image);
    }
    assertThat(map(services.get("worker").get("build"))).containsEntry("dockerfile", "docker/Dockerfile");
    for (String line : Files.readAllLines(DOCKER.resolve("Dockerfile"))) {
      if (line.startsWith("FROM ")) assertPinned("Dockerfile", line.split("\\s+")[1]);
      if (line.startsWith("# syntax=")) assertPinned("Dockerfile syntax", line.substring("# syntax=".length()));
    }
  }

  private static void assertPinned(String where, String image) {
    String afterRegistry = image.substring(image.lastIndexOf('/') + 1);
    assertThat(afterRegistry).as(where + ": " + image + " names a version").matches("[^:@]+(:[^:@]+|@sha256:[0-9a-f]{64})");
    assertThat(afterRegistry).as(where + ": " + image).doesNotEndWith(":latest");
  }

  @Test
  void theSearchAttributesMigrationsPublishAreRegisteredBeforeTheWorkerStarts() {
    Map<String, Object> registration = services.get("temporal-search-attributes");
    assertThat(registration).as("a one-off service registers the search attributes").isNotNull();
    String command = String.valueOf(registration.get("command"));
    for (String name : dev.phaseshift.workflow.MigrationSearchAttributes.NAMES) {
      assertThat(command).contains(name);
    }
    assertThat(command).contains("--type Keyword");
    assertThat(map(services.get("worker").get("depends_on"))).containsKey("temporal-search-attributes");
  }

  @Test
  void theWorkerImageIsNonRootWithALivenessHealthCheck() throws IOException {
    String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
    String runtime = dockerfile.substring(dockerfile.lastIndexOf("\nFROM "));
    Matcher user = Pattern.compile("\\nUSER (\\S+)").matcher(runtime);
    assertThat(user.find()).as("runtime stage sets USER").isTrue();
    assertThat(user.group(1)).isNotIn("root", "0");
    assertThat(runtime).contains("HEALTHCHECK").contains("/actuator/health/liveness").contains("EXPOSE 8081");
  }

  @Test
  void theWorkersEnvironmentNamesRealSettings() throws IOException {
    Map<String, Object> worker = services.get("worker");
    Map<String, Object> environment = map(worker.get("environment"));
    assertThat(environment).containsKeys("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "PHASESHIFT_TASK_QUEUE");

    String applicationYaml = resource("application.yaml");
    Set<String> placeholders = new HashSet<>();
    Matcher m = PLACEHOLDER.matcher(applicationYaml);
    while (m.find()) placeholders.add(m.group(1));
    Set<String> properties = new TreeSet<>(flatten("", new Yaml().loadAll(applicationYaml)));
    properties.addAll(metadataProperties());
    Set<String> relaxed = new HashSet<>();
    for (String property : properties) relaxed.add(environmentForm(property));

    for (String key : environment.keySet()) {
      assertThat(placeholders.contains(key) || relaxed.contains(key))
          .as(key + " is neither a placeholder in application.yaml nor the environment form of a property")
          .isTrue();
    }
    assertThat(properties).contains("spring.temporal.connection.api-key", "spring.temporal.connection.mtls.key-file");
    assertThat(placeholders).contains("TEMPORAL_API_KEY", "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY");
  }

  @Test
  void secretsAreReferencedNeverWritten() {
    for (var service : services.entrySet()) {
      Map<String, Object> environment = map(service.getValue().getOrDefault("environment", Map.of()));
      for (var variable : environment.entrySet()) {
        String key = variable.getKey().toUpperCase(Locale.ROOT);
        if (!key.matches(".*(PASSWORD|PWD|API_KEY|SECRET|TOKEN).*")) continue;
        String value = String.valueOf(variable.getValue());
        assertThat(value.startsWith("${") || key.endsWith("_FILE") && value.startsWith("/run/secrets/"))
            .as(service.getKey() + " " + key + " must come from the operator's environment or a secret file")
            .isTrue();
      }
    }
    assertThat(map(compose.get("secrets")).values())
        .allSatisfy(secret -> assertThat(String.valueOf(map(secret).get("file"))).startsWith("./secrets/"));
  }

  @Test
  void prometheusScrapesTheWorkerWhereItListens() {
    String port = String.valueOf(map(services.get("worker").get("environment")).get("SERVER_PORT"));
    assertThat(port).isEqualTo("8081");
    Map<String, Object> prometheus = yaml(DOCKER.resolve("prometheus.yml"));
    List<Map<String, Object>> jobs = list(prometheus.get("scrape_configs"));
    Map<String, Object> job = jobs.stream().filter(j -> "phaseshift-worker".equals(j.get("job_name"))).findFirst().orElseThrow();
    assertThat(job.get("metrics_path")).isEqualTo("/actuator/prometheus");
    Map<String, Object> dns = ComposeStackTest.<Map<String, Object>>list(job.get("dns_sd_configs")).get(0);
    assertThat(list(dns.get("names"))).containsExactly("worker");
    assertThat(String.valueOf(dns.get("port"))).isEqualTo(port);
    assertThat(services).containsKey("worker");

    List<Object> mounts = list(services.get("prometheus").get("volumes"));
    assertThat(mounts).contains("./prometheus.yml:/etc/prometheus/prometheus.yml:ro");
  }

  @Test
  void grafanaIsProvisionedWithADashboardOfExportedSeries() throws IOException {
    Map<String, Object> datasources = yaml(DOCKER.resolve("grafana/provisioning/datasources/prometheus.yaml"));
    Map<String, Object> datasource = ComposeStackTest.<Map<String, Object>>list(datasources.get("datasources")).get(0);
    assertThat(datasource.get("url")).isEqualTo("http://prometheus:9090");
    Map<String, Object> providers = yaml(DOCKER.resolve("grafana/provisioning/dashboards/phaseshift.yaml"));
    Map<String, Object> provider = ComposeStackTest.<Map<String, Object>>list(providers.get("providers")).get(0);
    String dashboardPath = String.valueOf(map(provider.get("options")).get("path"));
    assertThat(list(services.get("grafana").get("volumes"))).contains("./grafana/dashboards:" + dashboardPath + ":ro");

    JsonNode dashboard = new ObjectMapper().readTree(DOCKER.resolve("grafana/dashboards/phaseshift-migrations.json").toFile());
    assertThat(dashboard.path("uid").asText()).isEqualTo("phaseshift-migrations");
    Set<String> used = new TreeSet<>();
    List<String> uids = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      uids.add(panel.path("datasource").path("uid").asText());
      for (JsonNode target : panel.path("targets")) {
        Matcher m = Pattern.compile("\\b((?:phaseshift|temporal)_[a-z_]+)").matcher(target.path("expr").asText());
        while (m.find()) used.add(m.group(1));
      }
    }
    assertThat(uids).isNotEmpty().allMatch(uid -> uid.equals(datasource.get("uid")));
    Set<String> exported = new HashSet<>(MigrationMetrics.PROMETHEUS_NAMES);
    exported.addAll(WorkerMetricsTest.TEMPORAL_METRICS);
    exported.addAll(WorkerMetricsTest.TEMPORAL_EVENT_METRICS);
    assertThat(exported).containsAll(used);
    assertThat(used).contains("phaseshift_copy_rows_total", "phaseshift_replication_lag_bytes",
        "phaseshift_write_freeze_milliseconds", "phaseshift_validation_mismatches", "phaseshift_step_seconds_sum",
        "temporal_workflow_task_schedule_to_start_latency_seconds_bucket");
  }

  /** Spring's canonical environment form: upper case, dots to underscores, dashes dropped. */
  static String environmentForm(String property) {
    return property.replace("-", "").replace('.', '_').toUpperCase(Locale.ROOT);
  }

  private static Set<String> flatten(String prefix, Iterable<Object> documents) {
    Set<String> keys = new HashSet<>();
    for (Object document : documents) flattenInto(prefix, document, keys);
    return keys;
  }

  private static void flattenInto(String prefix, Object node, Set<String> keys) {
    if (node instanceof Map<?, ?> m) {
      for (var e : m.entrySet()) flattenInto(prefix.isEmpty() ? String.valueOf(e.getKey()) : prefix + "." + e.getKey(), e.getValue(), keys);
    } else {
      keys.add(prefix);
    }
  }

  /** Every property Spring Boot and the Temporal starter declare, from their configuration metadata. */
  private static Set<String> metadataProperties() throws IOException {
    Set<String> names = new HashSet<>();
    Enumeration<URL> files = ComposeStackTest.class.getClassLoader().getResources("META-INF/spring-configuration-metadata.json");
    ObjectMapper json = new ObjectMapper();
    while (files.hasMoreElements()) {
      try (InputStream in = files.nextElement().openStream()) {
        for (JsonNode p : json.readTree(in).path("properties")) names.add(p.path("name").asText());
      }
    }
    assertThat(names).contains("server.port", "spring.temporal.connection.target");
    return names;
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = ComposeStackTest.class.getClassLoader().getResourceAsStream(name)) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private static Map<String, Object> yaml(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return new Yaml().load(in);
    } catch (IOException e) {
      throw new IllegalStateException(file + " unreadable", e);
    }
  }

  @SuppressWarnings("unchecked")
  private static <V> Map<String, V> map(Object o) {
    return (Map<String, V>) o;
  }

  @SuppressWarnings("unchecked")
  private static <T> List<T> list(Object o) {
    return (List<T>) o;
  }
}
