package careloop.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.batch2.jobs.config.BatchCommonCtx;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.rest.server.interceptor.RequestValidatingInterceptor;
import ca.uhn.fhir.validation.IInstanceValidatorModule;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import jakarta.persistence.EntityManagerFactory;
import java.util.Properties;
import javax.sql.DataSource;
import org.apache.commons.dbcp2.BasicDataSource;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

/**
 * The HAPI FHIR JPA server, R4 only, on an embedded H2 database. HAPI's own configuration
 * classes supply the DAOs, search, transactions and validation support; this class supplies
 * what they expect from the application: storage settings, the database and its JPA wiring.
 */
@Configuration
// SubscriptionChannelConfig: the in-memory message broker that HAPI's batch jobs (e.g. terminology
// uploads, $reindex) send their work through; subscriptions themselves are not enabled.
@Import({JpaR4Config.class, HapiJpaConfig.class, JpaBatch2Config.class, BatchCommonCtx.class, SubscriptionChannelConfig.class,
	ThreadPoolFactoryConfig.class})
public class FhirJpaConfig {

	@Bean
	public JpaStorageSettings storageSettings() {
		JpaStorageSettings settings = new JpaStorageSettings();
		// A search must see what was written just before it (tests write, then search): no
		// reuse of an earlier identical search's results.
		settings.setReuseCachedSearchResultsForMillis(null);
		// No background reindex jobs when a SearchParameter is written: nothing here needs them.
		settings.setMarkResourcesForReindexingUponSearchParameterChange(false);
		settings.setAllowMultipleDelete(true);
		settings.setExpungeEnabled(true);
		settings.setDeleteExpungeEnabled(true);
		return settings;
	}

	@Bean
	public PartitionSettings partitionSettings() {
		return new PartitionSettings();
	}

	@Bean(destroyMethod = "close")
	public BasicDataSource dataSource(FhirSettings settings) {
		BasicDataSource pool = new BasicDataSource();
		pool.setDriver(new org.h2.Driver());
		pool.setUrl(settings.jdbcUrl());
		pool.setUsername("sa");
		pool.setPassword("");
		// Two cores: a few connections are plenty, and H2 serialises writes anyway.
		pool.setMaxTotal(10);
		pool.setMaxWait(java.time.Duration.ofSeconds(30));
		return pool;
	}

	@Bean
	public LocalContainerEntityManagerFactoryBean entityManagerFactory(
			ConfigurableListableBeanFactory beanFactory,
			FhirContext fhirContext,
			JpaStorageSettings storageSettings,
			DataSource dataSource) {
		LocalContainerEntityManagerFactoryBean factory =
				HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, storageSettings);
		factory.setPersistenceUnitName("careloop-fhir");
		factory.setDataSource(dataSource);
		factory.setJpaProperties(hibernateProperties());
		return factory;
	}

	private static Properties hibernateProperties() {
		Properties p = new Properties();
		p.put("hibernate.dialect", HapiFhirH2Dialect.class.getName());
		// Creates the schema on the first start and adds what a newer HAPI needs later.
		p.put("hibernate.hbm2ddl.auto", "update");
		// Hibernate Search (Lucene / Elasticsearch) is on the classpath through HAPI but unused:
		// plain database search covers FHIR search parameters, and it would cost start time.
		p.put("hibernate.search.enabled", "false");
		p.put("hibernate.format_sql", "false");
		p.put("hibernate.show_sql", "false");
		p.put("hibernate.jdbc.batch_size", "20");
		p.put("hibernate.cache.use_query_cache", "false");
		p.put("hibernate.cache.use_second_level_cache", "false");
		return p;
	}

	@Bean
	@Primary
	public JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
		return new JpaTransactionManager(entityManagerFactory);
	}

	/**
	 * Validates every incoming resource (create, update, transaction/batch Bundles) against the
	 * base R4 profiles: an error fails the request with 422 and an OperationOutcome.
	 */
	@Bean
	public RequestValidatingInterceptor requestValidatingInterceptor(IInstanceValidatorModule instanceValidator) {
		RequestValidatingInterceptor interceptor = new RequestValidatingInterceptor();
		interceptor.addValidatorModule(instanceValidator);
		interceptor.setFailOnSeverity(ResultSeverityEnum.ERROR);
		interceptor.setAddResponseHeaderOnSeverity(null);
		return interceptor;
	}

	@Bean
	public CareloopFhirServlet fhirServlet() {
		return new CareloopFhirServlet();
	}
}
