package io.opencodefleet.common.messages;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** What {@link RepoUrl} accepts, and a URL with any credentials in it masked for logs and messages. */
public final class RepoUrls {

    public static final Set<String> SCHEMES = Set.of("https", "http", "ssh", "git", "file");
    private static final Pattern SCP_LIKE = Pattern.compile("[A-Za-z0-9._-]{1,64}@[A-Za-z0-9.-]{1,253}:[A-Za-z0-9._/~-]{1,1024}");

    /** The URL's scheme ({@code ssh} for scp-like), or null when it is not a URL the fleet accepts. */
    public static String scheme(String url) {
        if (url == null || url.isBlank() || url.startsWith("-") || url.chars().anyMatch(c -> c < 0x21 || c == 0x7f)) {
            return null;
        }
        if (!url.contains("://")) {
            return SCP_LIKE.matcher(url).matches() ? "ssh" : null;
        }
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
            if (scheme == null || !SCHEMES.contains(scheme) || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                return null;
            }
            String userInfo = uri.getRawUserInfo();
            if (userInfo != null && (userInfo.contains(":") || !scheme.equals("ssh"))) {
                return null;
            }
            if (scheme.equals("file")) {
                return uri.getHost() == null && uri.getPath() != null && uri.getPath().startsWith("/") ? scheme : null;
            }
            return uri.getHost() != null && !uri.getHost().isBlank() ? scheme : null;
        } catch (URISyntaxException e) {
            return null;
        }
    }


    /** {@code url} with the user information of a URL (user:password@ or token@) replaced by {@code ***}. */
    public static String redact(String url) {
        return url == null ? null : USERINFO.matcher(url).replaceAll("$1***@");
    }

    private static final Pattern USERINFO = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://)[^/@\\s]+@");

    private RepoUrls() {
    }
}
