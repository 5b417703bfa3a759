package io.opencodefleet.worker;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import io.opencodefleet.testkit.kafka.KafkaBrokerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.jwt.build.Jwt;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Looking inside a task goes through the worker, and only with the fleet's token and the operator role: as a Bearer
 * header or as the Basic password OpenCode's own client sends. (The forwarding itself is exercised end to end with a
 * real OpenCode server in the e2e suite.)
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerResource.class)
class AttachProxyTest {

    private static String token(String... roles) {
        return Jwt.issuer("opencode-fleet").subject("test").groups(Set.of(roles)).expiresIn(600).sign("test-keys/private.pem");
    }

    @Test
    void withoutTheFleetsTokenAndTheOperatorRoleNothingGetsThrough() {
        String path = "/api/v1/opencode/slot-1/session";
        given().get(path).then().statusCode(401).header("WWW-Authenticate", containsString("Basic")).body("error", containsString("authentication"));
        given().auth().preemptive().basic("fleet", "not-a-token").get(path).then().statusCode(401);
        given().auth().oauth2(token("fleet-viewer")).get(path).then().statusCode(403).body("error", containsString("fleet-operator"));
        given().auth().preemptive().basic("fleet", token("fleet-viewer")).get(path).then().statusCode(403);
        // Authorized: the request reaches the proxy, which knows no OpenCode server here (the agent is scripted).
        given().auth().preemptive().basic("fleet", token("fleet-operator")).get(path).then().statusCode(404).body("error", containsString("slot"));
        given().auth().oauth2(token("fleet-operator")).get("/api/v1/opencode/../../etc/passwd").then().statusCode(org.hamcrest.Matchers.oneOf(400, 404));
    }
}
