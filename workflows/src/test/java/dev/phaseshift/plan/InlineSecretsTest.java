package dev.phaseshift.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.phaseshift.workflow.InvalidPlanInput;
import dev.phaseshift.workflow.PlanPayloadConverter;
import io.temporal.api.common.v1.Payload;
import io.temporal.common.converter.DataConverter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What counts as a secret in a workflow input, and the messages a run with one fails with. */
class InlineSecretsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String SECRET = "Sh0uldNeverShow";
  static final DataConverter CONVERTER = PlanPayloadConverter.dataConverter();

  static JsonNode json(String text) throws Exception {
    return JSON.readTree(text.replace('\'', '"'));
  }

  static List<String> fields(String text) throws Exception {
    return InlineSecrets.fields(json(text));
  }

  static MigrationPlan read(String text) {
    Payload payload = Payload.newBuilder().putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
        .setData(ByteString.copyFromUtf8(text.replace('\'', '"'))).build();
    return CONVERTER.fromPayload(payload, MigrationPlan.class, MigrationPlan.class);
  }

  @Test
  void findsEveryWayOfWritingAPasswordIntoThePlan() throws Exception {
    assertEquals(List.of("source.password"), fields("{'source':{'url':'u','password':'" + SECRET + "'}}"));
    assertEquals(List.of("target.password"), fields("{'target':{'password':{'value':'" + SECRET + "'}}}"));
    assertEquals(List.of("source.url"), fields("{'source':{'url':'jdbc:x://h/db?user=a&password=" + SECRET + "'}}"));
    assertEquals(List.of("router.adminUrl"), fields("{'router':{'adminUrl':'postgresql://admin:" + SECRET + "@h/db'}}"));
    assertEquals(List.of("source.pasword"), fields("{'source':{'pasword':'" + SECRET + "'}}"), "misspelt, still a secret");
    assertEquals(List.of("source.dbPwd"), fields("{'source':{'dbPwd':1234}}"));
    assertEquals(List.of("maintenanceWindows[0].Password"), fields("{'maintenanceWindows':[{'Password':'x'}]}"));
  }

  @Test
  void referencesAndOrdinaryFieldsAreNoSecret() throws Exception {
    assertEquals(List.of(), fields("{'source':{'url':'jdbc:x://h:5432/db?sslmode=require','password':{'env':'PW'}}}"));
    assertEquals(List.of(), fields("{'source':{'password':{'file':'/run/pw'}},'target':{'password':null}}"));
    assertEquals(List.of(), fields("{'aprovalRequired':false,'webhookUrl':'https://hooks.example/a:b'}"));
  }

  @Test
  void theStandInHoldsTheFieldNamesOnlyAndGivesTheSameMessagePlusOneSentence() throws Exception {
    List<String> found = fields("{'source':{'password':'" + SECRET + "','url':'jdbc:x://h/d?password=" + SECRET + "'}}");
    String standIn = new String(InlineSecrets.standIn(found), StandardCharsets.UTF_8);
    assertFalse(standIn.contains(SECRET), standIn);
    assertEquals(found, InlineSecrets.standInFields(JSON.readTree(standIn)));

    InvalidPlanInput first = assertThrows(InvalidPlanInput.class,
        () -> read("{'name':'a','source':{'password':'" + SECRET + "','url':'jdbc:x://h/d?password=" + SECRET + "'}}"));
    InvalidPlanInput second = assertThrows(InvalidPlanInput.class, () -> read(standIn));
    assertEquals(first.getMessage() + " " + InlineSecrets.DELETED, second.getMessage());
    assertTrue(first.getMessage().contains("source.password: write {env: NAME} or {file: PATH}"), first.getMessage());
    assertTrue(first.getMessage().contains("source.url: contains a password"), first.getMessage());
    assertFalse(first.getMessage().contains(SECRET), first.getMessage());
  }

  @Test
  void inputThatIsNotJsonButMentionsAPasswordCountsAsASecretAsAWhole() {
    InvalidPlanInput e = assertThrows(InvalidPlanInput.class, () -> read("{'password': '" + SECRET + "'"));
    assertTrue(e.getMessage().startsWith("the input holds a password; nothing was changed: top level:"), e.getMessage());
    assertFalse(e.getMessage().contains(SECRET), e.getMessage());
    assertEquals(List.of("top level"), InlineSecrets.fields("{password".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void otherBadInputKeepsItsOwnMessageAndGoodInputReads() {
    InvalidPlanInput typo = assertThrows(InvalidPlanInput.class, () -> read("{'name':'a','aprovalRequired':false}"));
    assertTrue(typo.getMessage().contains("unknown field 'aprovalRequired'"), typo.getMessage());
    assertFalse(typo.getMessage().contains(InlineSecrets.DELETED), typo.getMessage());
    MigrationPlan plan = read("{'name':'a','source':{'url':'jdbc:x://h/db','user':'m','password':{'env':'PW'}}}");
    assertEquals("PW", plan.source().password().env());
    assertNull(read("null"));
  }
}
