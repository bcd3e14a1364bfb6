package careloop.fhir;

import java.nio.file.Path;

/**
 * Where the local FHIR server listens and keeps its data, from system properties set by fhir.sh.
 * A missing or malformed setting stops the boot naming the property.
 */
public record FhirSettings(String host, int port, String contextPath, Path dataDir, boolean exitAfterStart) {

	static final String HOST = "careloop.fhir.host";
	static final String PORT = "careloop.fhir.port";
	static final String DATA_DIR = "careloop.fhir.dataDir";
	/** Start, then exit: fhir.sh's training run that records the class-data-sharing archive. */
	static final String EXIT_AFTER_START = "careloop.fhir.exitAfterStart";

	public static FhirSettings fromSystemProperties() {
		String host = System.getProperty(HOST, "127.0.0.1");
		String portText = System.getProperty(PORT, "18090");
		int port;
		try {
			port = Integer.parseInt(portText);
		} catch (NumberFormatException e) {
			throw new IllegalArgumentException(PORT + " must be a port number, not '" + portText + "'");
		}
		// 0: any free port (the training run).
		if (port < 0 || port > 65535) {
			throw new IllegalArgumentException(PORT + " must be between 0 and 65535, not " + port);
		}
		String dataDir = System.getProperty(DATA_DIR);
		if (dataDir == null || dataDir.isBlank()) {
			throw new IllegalArgumentException(DATA_DIR + " must name the directory for the H2 database");
		}
		boolean exitAfterStart = Boolean.parseBoolean(System.getProperty(EXIT_AFTER_START, "false"));
		return new FhirSettings(host, port, "/fhir", Path.of(dataDir).toAbsolutePath(), exitAfterStart);
	}

	/** An embedded H2 database in files under the data dir. */
	public String jdbcUrl() {
		// DB_CLOSE_ON_EXIT=FALSE: the Spring context closes the pool (and so the database) on
		// shutdown; H2's own shutdown hook would otherwise race with it.
		return "jdbc:h2:file:" + dataDir.resolve("h2").resolve("fhir") + ";DB_CLOSE_ON_EXIT=FALSE";
	}
}
