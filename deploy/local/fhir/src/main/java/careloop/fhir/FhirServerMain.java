package careloop.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.IInstanceValidatorModule;
import java.nio.file.Files;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.hl7.fhir.r4.model.Patient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;

/**
 * Starts the local FHIR R4 server: a plain Spring context with HAPI's JPA configuration and an
 * embedded Jetty serving {@link CareloopFhirServlet} at http://HOST:PORT/fhir. No Spring Boot:
 * HAPI brings Spring itself, and Boot would add auto-configuration (and start time) for nothing.
 */
public final class FhirServerMain {

	private static final Logger log = LoggerFactory.getLogger(FhirServerMain.class);

	private FhirServerMain() {}

	public static void main(String[] args) throws Exception {
		long started = System.nanoTime();
		FhirSettings settings = FhirSettings.fromSystemProperties();
		Files.createDirectories(settings.dataDir());

		AnnotationConfigApplicationContext spring = new AnnotationConfigApplicationContext();
		spring.registerBean(FhirSettings.class, () -> settings);
		spring.register(FhirJpaConfig.class);
		spring.refresh();
		warmUpValidator(spring);

		QueuedThreadPool threads = new QueuedThreadPool(32, 4);
		threads.setName("fhir-http");
		Server jetty = new Server(threads);
		ServerConnector connector = new ServerConnector(jetty);
		connector.setHost(settings.host());
		connector.setPort(settings.port());
		jetty.addConnector(connector);
		ServletContextHandler context = new ServletContextHandler("/");
		ServletHolder holder = new ServletHolder("fhir", spring.getBean(CareloopFhirServlet.class));
		holder.setInitOrder(1);
		context.addServlet(holder, settings.contextPath() + "/*");
		jetty.setHandler(context);

		Runtime.getRuntime().addShutdownHook(new Thread(() -> {
			log.info("stopping");
			try {
				jetty.stop();
			} catch (Exception e) {
				log.warn("Jetty did not stop cleanly", e);
			}
			spring.close();
		}, "fhir-shutdown"));

		jetty.start();
		log.info("FHIR R4 server ready at http://{}:{}{} (data in {}) after {} ms",
				settings.host(), connector.getLocalPort(), settings.contextPath(), settings.dataDir(),
				(System.nanoTime() - started) / 1_000_000);
		if (settings.exitAfterStart()) {
			// The shutdown hook stops Jetty and Spring; the JVM then writes the CDS archive.
			System.exit(0);
		}
		jetty.join();
	}

	/**
	 * The validator loads the R4 StructureDefinitions on first use (seconds): do that before the
	 * port opens, so the first real request is not the slow one.
	 */
	private static void warmUpValidator(AnnotationConfigApplicationContext spring) {
		long t0 = System.nanoTime();
		FhirValidator validator = spring.getBean(FhirContext.class).newValidator();
		validator.registerValidatorModule(spring.getBean(IInstanceValidatorModule.class));
		validator.validateWithResult(new Patient().setActive(true));
		log.info("validator warmed up in {} ms", (System.nanoTime() - t0) / 1_000_000);
	}
}
