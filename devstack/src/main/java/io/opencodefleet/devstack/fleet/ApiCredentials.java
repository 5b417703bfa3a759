package io.opencodefleet.devstack.fleet;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Map;
import java.util.UUID;
import java.time.Duration;
import java.util.Base64;
import java.util.Set;

/**
 * The local fleet's API credentials, made once in its state dir: an RSA key pair whose public half the planner
 * trusts, and a bearer token with every role that {@code bin/fleet} sends by itself ({@code api/token}, readable by
 * its owner only). A deployment uses its identity provider's tokens instead.
 */
public final class ApiCredentials {

    public static final String ISSUER = "opencode-fleet";
    public static final Set<String> ALL_ROLES = Set.of("fleet-submitter", "fleet-operator", "fleet-viewer");
    private static final Duration LIFETIME = Duration.ofDays(3650);

    private final Path publicKey;
    private final String token;

    private ApiCredentials(Path publicKey, String token) {
        this.publicKey = publicKey;
        this.token = token;
    }

    /** The state dir's credentials, made now if they do not exist yet. */
    public static ApiCredentials of(StateDir state) {
        Path dir = state.resolve("api");
        Path publicKey = dir.resolve("jwt-public.pem");
        Path token = state.apiTokenFile();
        try {
            if (!Files.exists(publicKey) || !Files.exists(token)) {
                Files.createDirectories(dir);
                KeyPair keys = KeyPairGenerator.getInstance("RSA").genKeyPair();
                Files.writeString(publicKey, pem("PUBLIC KEY", keys.getPublic().getEncoded()));
                String signed = sign(keys.getPrivate(), ALL_ROLES);
                Files.writeString(token, signed);
                Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
            }
            return new ApiCredentials(publicKey, Files.readString(token).strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A JWT (RS256) with the fleet's issuer and {@code roles} in its groups claim; plain JDK, so the CLI stays small. */
    static String sign(PrivateKey key, Set<String> roles) throws GeneralSecurityException, IOException {
        ObjectMapper json = new ObjectMapper();
        long now = System.currentTimeMillis() / 1000;
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        String header = base64.encodeToString(json.writeValueAsBytes(Map.of("alg", "RS256", "typ", "JWT")));
        String claims = base64.encodeToString(json.writeValueAsBytes(Map.of("iss", ISSUER, "sub", "local-fleet", "upn", "local-fleet",
                "groups", roles, "iat", now, "exp", now + LIFETIME.toSeconds(), "jti", UUID.randomUUID().toString())));
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(key);
        signature.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
        return header + "." + claims + "." + base64.encodeToString(signature.sign());
    }

    /** The public key file the planner verifies tokens with. */
    public Path publicKey() {
        return publicKey;
    }

    public String token() {
        return token;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
