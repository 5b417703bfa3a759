package io.opencodefleet.planner;

import io.opencodefleet.planner.api.Roles;
import io.restassured.RestAssured;
import io.restassured.builder.RequestSpecBuilder;
import io.smallrye.jwt.build.Jwt;
import java.util.Set;

/** Tokens the planner under test trusts (signed with test-keys/private.pem), and REST-assured calls that carry one. */
public final class ApiTokens {

    public static final String ISSUER = "opencode-fleet";

    private ApiTokens() {
    }

    /** A token with these roles, valid for an hour. */
    public static String withRoles(String... roles) {
        return Jwt.issuer(ISSUER).subject("test").groups(Set.of(roles)).expiresIn(3600).sign("test-keys/private.pem");
    }

    /** Every REST-assured call of the test carries a token with all three roles. */
    public static void useFullToken() {
        RestAssured.requestSpecification = new RequestSpecBuilder()
                .addHeader("Authorization", "Bearer " + withRoles(Roles.SUBMITTER, Roles.OPERATOR, Roles.VIEWER)).build();
    }
}
