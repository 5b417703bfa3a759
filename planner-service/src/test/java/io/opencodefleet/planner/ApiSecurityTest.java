package io.opencodefleet.planner;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import io.opencodefleet.planner.api.Roles;
import io.opencodefleet.testkit.kafka.KafkaBrokerResource;
import io.opencodefleet.testkit.postgres.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;
import io.smallrye.jwt.build.Jwt;
import java.security.KeyPairGenerator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every verb of the API answers only callers it trusts: 401 without a token or with one it cannot verify (another
 * key, expired, another issuer), 403 without the role the call needs, and state changes take JSON only.
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerResource.class)
@QuarkusTestResource(PostgresResource.class)
class ApiSecurityTest {

    private String missionId;

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URI missions;

    /** A verb of the API and the role it needs (null: any of the three). */
    private record Verb(String name, String role, Function<RequestSpecification, io.restassured.response.Response> call) {
    }

    private List<Verb> verbs() {
        String base = "/api/v1/missions/" + missionId;
        return List.of(
                new Verb("submit", Roles.SUBMITTER, r -> r.contentType("application/json").body(PlannerFlowTest.mission("sec-" + UUID.randomUUID()
                        .toString().substring(0, 8), "[{\"id\":\"a\",\"prompt\":\"a\"}]", 3)).post("/api/v1/missions")),
                new Verb("list", null, r -> r.get("/api/v1/missions")),
                new Verb("show", null, r -> r.get(base)),
                new Verb("events", null, r -> r.accept("text/event-stream").get("/api/v1/missions/ghost/events")),
                new Verb("cancel", Roles.OPERATOR, r -> r.contentType("application/json").body("{}").post("/api/v1/missions/ghost/cancel")),
                new Verb("resume", Roles.OPERATOR, r -> r.contentType("application/json").body("{}").post(base + "/resume")),
                new Verb("retry", Roles.OPERATOR, r -> r.contentType("application/json").body("{}").post(base + "/tasks/a/retry")));
    }

    @BeforeEach
    void mission() {
        RestAssured.requestSpecification = null;
        missionId = "sec-" + UUID.randomUUID().toString().substring(0, 8);
        given().auth().oauth2(ApiTokens.withRoles(Roles.SUBMITTER)).contentType("application/json")
                .body(PlannerFlowTest.mission(missionId, "[{\"id\":\"a\",\"prompt\":\"a\"}]", 3)).post("/api/v1/missions").then().statusCode(202);
    }

    @Test
    void withoutAValidTokenEveryVerbIs401() throws Exception {
        var otherKey = KeyPairGenerator.getInstance("RSA");
        otherKey.initialize(2048);
        String foreign = Jwt.issuer(ApiTokens.ISSUER).groups(Set.of(Roles.SUBMITTER, Roles.OPERATOR, Roles.VIEWER)).sign(otherKey.generateKeyPair().getPrivate());
        String expired = Jwt.issuer(ApiTokens.ISSUER).groups(Set.of(Roles.VIEWER, Roles.OPERATOR, Roles.SUBMITTER))
                .issuedAt(System.currentTimeMillis() / 1000 - 7200).expiresAt(System.currentTimeMillis() / 1000 - 3600).sign("test-keys/private.pem");
        String otherIssuer = Jwt.issuer("someone-else").groups(Set.of(Roles.VIEWER, Roles.OPERATOR, Roles.SUBMITTER)).sign("test-keys/private.pem");
        for (Verb verb : verbs()) {
            verb.call().apply(given()).then().statusCode(401).header("WWW-Authenticate", "Bearer")
                    .body("error", containsString("authentication required"));
            for (String token : List.of(foreign, expired, otherIssuer, "not-a-jwt")) {
                verb.call().apply(given().auth().oauth2(token)).then().statusCode(401);
            }
        }
    }

    @Test
    void aTokenWithoutTheRoleTheVerbNeedsIs403() {
        for (Verb verb : verbs()) {
            for (String role : List.of(Roles.SUBMITTER, Roles.OPERATOR, Roles.VIEWER)) {
                int expected = verb.role() == null || verb.role().equals(role) ? -1 : 403;
                var response = verb.call().apply(given().auth().oauth2(ApiTokens.withRoles(role)));
                if (expected == 403) {
                    response.then().statusCode(403).body("error", containsString("forbidden"));
                } else {
                    response.then().statusCode(org.hamcrest.Matchers.not(org.hamcrest.Matchers.oneOf(401, 403)));
                }
            }
            verb.call().apply(given().auth().oauth2(ApiTokens.withRoles("some-other-role"))).then().statusCode(403);
        }
    }

    @Test
    void whatTheHttpLayerRefusesIsAnsweredWithTheReasonToo() throws Exception {
        String token = ApiTokens.withRoles(Roles.SUBMITTER, Roles.OPERATOR, Roles.VIEWER);
        var tooLarge = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build().send(java.net.http.HttpRequest.newBuilder(missions.resolve("/api/v1/missions"))
                .header("authorization", "Bearer " + token).header("content-type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("x".repeat(5_000_000))).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        org.assertj.core.api.Assertions.assertThat(tooLarge.statusCode()).isEqualTo(413);
        org.assertj.core.api.Assertions.assertThat(tooLarge.body()).contains("too large");
        given().auth().oauth2(token).contentType("application/json").body("{\"guidance\":[1,2]}").post("/api/v1/missions/" + missionId + "/resume")
                .then().statusCode(400).body("error", containsString("not the JSON"));
        given().auth().oauth2(token).contentType("application/json").body("[").post("/api/v1/missions")
                .then().statusCode(400).body("error", containsString("not valid JSON"));
        given().auth().oauth2(token).get("/api/v1/missions/" + "a".repeat(300)).then().statusCode(404).body("error", containsString("no mission"));
    }

    @Test
    void stateChangesTakeJsonOnly() {
        String token = ApiTokens.withRoles(Roles.SUBMITTER, Roles.OPERATOR);
        given().auth().oauth2(token).contentType("text/plain").body("{}").post("/api/v1/missions").then().statusCode(415)
                .body("error", containsString("application/json"));
        given().auth().oauth2(token).contentType("application/x-www-form-urlencoded").body("a=b")
                .post("/api/v1/missions/" + missionId + "/cancel").then().statusCode(415);
        given().auth().oauth2(token).contentType("text/plain").body("x").post("/api/v1/missions/" + missionId + "/resume").then().statusCode(415);
    }
}
