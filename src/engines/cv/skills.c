#include "engines/cv/skills.h"

#include "base/common.h"

#include "text/normalize.h"

static const struct cv_skill_def skill_table[] = {
	{ "JavaScript", { "javascript", "js", "ecmascript", "es6" } },
	{ "TypeScript", { "typescript" } },
	{ "Python", { "python" } },
	{ "Java", { "java" } },
	{ "C", { "=C" } },
	{ "C++", { "c++", "cpp" } },
	{ "C#", { "c#", "csharp" } },
	{ "Go", { "=Go", "golang" } },
	{ "Rust", { "rust" } },
	{ "Ruby", { "ruby" } },
	{ "PHP", { "php" } },
	{ "Kotlin", { "kotlin" } },
	{ "Swift", { "swift" } },
	{ "Scala", { "scala" } },
	{ "R", { "=R" } },
	{ "Perl", { "perl" } },
	{ "Haskell", { "haskell" } },
	{ "Elixir", { "elixir" } },
	{ "Objective-C", { "objective-c" } },
	{ "MATLAB", { "matlab" } },
	{ "Bash", { "bash", "shell scripting" } },
	{ "SQL", { "sql" } },
	{ "NoSQL", { "nosql" } },
	{ "PostgreSQL", { "postgresql", "postgres", "psql" } },
	{ "MySQL", { "mysql" } },
	{ "SQLite", { "sqlite" } },
	{ "MongoDB", { "mongodb", "mongo" } },
	{ "Redis", { "redis" } },
	{ "Elasticsearch", { "elasticsearch", "elastic search" } },
	{ "Kafka", { "kafka" } },
	{ "RabbitMQ", { "rabbitmq" } },
	{ "Docker", { "docker" } },
	{ "Kubernetes", { "kubernetes", "k8s" } },
	{ "Terraform", { "terraform" } },
	{ "Ansible", { "ansible" } },
	{ "AWS", { "aws", "amazon web services" } },
	{ "Google Cloud", { "google cloud platform", "google cloud", "gcp" } },
	{ "Azure", { "azure" } },
	{ "Linux", { "linux" } },
	{ "Git", { "git" } },
	{ "CI/CD", { "ci/cd", "continuous integration" } },
	{ "Jenkins", { "jenkins" } },
	{ "React", { "react", "react.js", "reactjs" } },
	{ "React Native", { "react native" } },
	{ "Redux", { "redux" } },
	{ "Angular", { "angular", "angularjs", "angular.js" } },
	{ "Vue.js", { "vue.js", "vue", "vuejs" } },
	{ "Next.js", { "next.js", "nextjs" } },
	{ "Node.js", { "node.js", "nodejs", "node" } },
	{ "Express.js", { "express.js", "expressjs" } },
	{ "jQuery", { "jquery" } },
	{ "Django", { "django" } },
	{ "Flask", { "flask" } },
	{ "Spring", { "spring boot", "spring framework" } },
	{ ".NET", { ".net", "dotnet" } },
	{ "HTML", { "html", "html5" } },
	{ "CSS", { "css", "css3" } },
	{ "Tailwind CSS", { "tailwind", "tailwindcss" } },
	{ "GraphQL", { "graphql" } },
	{ "REST APIs", { "rest api", "rest apis", "restful", "restful apis" } },
	{ "gRPC", { "grpc" } },
	{ "TensorFlow", { "tensorflow" } },
	{ "PyTorch", { "pytorch" } },
	{ "pandas", { "pandas" } },
	{ "NumPy", { "numpy" } },
	{ "scikit-learn", { "scikit-learn", "sklearn" } },
	{ "Machine Learning", { "machine learning" } },
	{ "NLP", { "nlp", "natural language processing" } },
	{ "Spark", { "apache spark", "pyspark", "spark" } },
	{ "Hadoop", { "hadoop" } },
	{ "Webpack", { "webpack" } },
	{ "D3.js", { "d3.js", "d3" } },
	{ "Firebase", { "firebase" } },
	{ "Figma", { "figma" } },
	{ "Jira", { "jira" } },
	{ "Agile", { "agile", "scrum" } },
	{ "Tableau", { "tableau" } },
	{ "Excel", { "excel" } },
	{ "Nginx", { "nginx" } },
	{ "Prometheus", { "prometheus" } },
	{ "Grafana", { "grafana" } },
	{ "LaTeX", { "latex" } },
	{ "Selenium", { "selenium" } },
	{ "Jest", { "jest" } },
};

const struct cv_skill_def *cv_skill_table(size_t *n)
{
	*n = ARRAY_SIZE(skill_table);
	return skill_table;
}

static bool ascii_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
		char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b - 'A' + 'a') : *b;
		if (x != y)
			return false;
	}
	return *a == *b;
}

const struct cv_skill_def *cv_skill_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(skill_table); i++) {
		const struct cv_skill_def *d = &skill_table[i];
		if (ascii_ieq(name, d->name))
			return d;
		for (size_t k = 0; k < CV_SKILL_MAX_ALIASES && d->aliases[k]; k++) {
			const char *a = d->aliases[k];
			if (ascii_ieq(name, a[0] == '=' ? a + 1 : a))
				return d;
		}
	}
	return NULL;
}

static bool is_word_at(const char *text, size_t len, size_t i)
{
	int32_t cp;
	text_decode(text + i, len - i, &cp);
	return text_is_word_cp(cp) || cp == '_';
}

static bool word_before(const char *text, size_t i)
{
	size_t k = i;
	while (k > 0 && ((unsigned char)text[k - 1] & 0xC0) == 0x80 && i - k < 3)
		k--;
	if (k == 0)
		return false;
	return is_word_at(text, i, k - 1);
}

static bool boundary_ok(const char *text, size_t len, size_t s, size_t e, const char *alias)
{
	size_t alen = strlen(alias);
	bool one = alen == 1;
	char first = alias[0];
	bool first_alnum = (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') ||
	                   (first >= '0' && first <= '9');
	if (s > 0) {
		char p = text[s - 1];
		if (word_before(text, s))
			return false;
		if (first_alnum && (p == '.' || p == '-'))
			return false;
		if (one && (p == '&' || p == '\''))
			return false;
	}
	if (e < len) {
		char n = text[e];
		if (is_word_at(text, len, e) || n == '+' || n == '#')
			return false;
		if (one && (n == '-' || n == '&' || n == '\''))
			return false;
	}
	return true;
}

/* Matches alias at text[i..); a space in the alias matches a run of spaces and line breaks. */
static bool match_at(const char *text, size_t len, size_t i, const char *alias, size_t *end)
{
	for (const char *a = alias; *a; a++) {
		if (*a == ' ') {
			if (i >= len || (text[i] != ' ' && text[i] != '\n'))
				return false;
			while (i < len && (text[i] == ' ' || text[i] == '\n'))
				i++;
			continue;
		}
		if (i >= len || text[i] != *a)
			return false;
		i++;
	}
	*end = i;
	return true;
}

bool cv_skill_find_next(const char *text, size_t len, size_t from, const char *alias, size_t *start,
                        size_t *end)
{
	if (!alias[0])
		return false;
	for (size_t i = from; i < len; i++) {
		if (text[i] != alias[0])
			continue;
		size_t e;
		if (match_at(text, len, i, alias, &e) && boundary_ok(text, len, i, e, alias)) {
			*start = i;
			*end = e;
			return true;
		}
	}
	return false;
}
