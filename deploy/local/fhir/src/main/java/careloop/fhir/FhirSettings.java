package careloop.fhir;

import java.nio.file.Path;

/**
 * Where the local FHIR server listens and keeps its data, from system properties set by fhir.sh.
 * A missing or malformed setting stops the boot naming the property.
 */
public record FhirSettings(String host, int port, String contextPath, Path dataDir) {

	static final String HOST = "careloop.fhir.host";
	static final String PORT = "careloop.fhir.port";
	static final String DATA_DIR = "careloop.fhir.dataDir";

	public static FhirSettings fromSystemProperties() {
		String host = System.getProperty(HOST, "127.0.0.1");
		String portText = System.getProperty(PORT, "18090");
		int port;
		try {
			port = Integer.parseInt(portText);
		} catch (NumberFormatException e) {
			throw new IllegalArgumentException(PORT + " must be a port number, not '" + portText + "'");
		}
		if (port < 1 || port > 65535) {
			throw new IllegalArgumentException(PORT + " must be between 1 and 65535, not " + port);
		}
		String dataDir = System.getProperty(DATA_DIR);
		if (dataDir == null || dataDir.isBlank()) {
			throw new IllegalArgumentException(DATA_DIR + " must name the directory for the H2 database");
		}
		return new FhirSettings(host, port, "/fhir", Path.of(dataDir).toAbsolutePath());
	}

	/** An embedded H2 database in files under the data dir. */
	public String jdbcUrl() {
		// DB_CLOSE_ON_EXIT=FALSE: the Spring context closes the pool (and so the database) on
		// shutdown; H2's own shutdown hook would otherwise race with it.
		return "jdbc:h2:file:" + dataDir.resolve("h2").resolve("fhir") + ";DB_CLOSE_ON_EXIT=FALSE";
	}
}
