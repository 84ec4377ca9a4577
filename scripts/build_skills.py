#!/usr/bin/env python3
"""build_skills.py: builds data/skills.tsv, matchd's skills taxonomy, from the public sources in
../shared/data/cv/skills/ (ESCO v1.1.1 English, O*NET 28.2 Technology Skills, GitHub Linguist
languages). Python 3 standard library only; the output is deterministic (same input, same bytes).

    scripts/build_skills.py [--src ../shared/data/cv/skills] [--out data/skills.tsv]
                            [--exclude data/skills_exclude.tsv]

Output: one row per skill, tab separated, '#' comment lines first (attribution), then a header:

    id  label  type  category  hot  aliases  broader  needs_context

  id             esco:<uuid> | esco-group:<code> | onet:<slug> | onet-cat:<code> | ling:<slug>
                 | matchd:<slug> (a few curated groups such as "relational databases")
  type           esco | onet | linguist | matchd
  category       the ESCO top group (e.g. "working with computers"), the O*NET commodity title or
                 the Linguist type
  hot            1 when O*NET flags the technology as "hot", else 0
  aliases        '|' separated other names (ESCO altLabels, Linguist aliases, O*NET names)
  broader        '|' separated ids of the parent skills (ESCO hierarchy, curated groups, O*NET
                 categories); every id listed is a row of the file
  needs_context  '|' separated subset of {label} + aliases that are ambiguous short names or
                 common English words ("Go", "C", "Excel"): match them only in a skills context

Pruning (reviewed list in data/skills_exclude.tsv, rules below):
  - one-letter aliases are dropped; a one-letter label ("C", "R") is kept with needs_context;
  - two-letter aliases are dropped unless they contain a non-letter ("C#") or are kept by a
    `keep` line of the exclusion list;
  - ESCO "catch-all" skills (computer programming, query languages, use spreadsheets software)
    list other products as altLabels: a capitalised altLabel sharing no word with the label is
    dropped from a skill that has ten or more of them;
  - an alias claimed by several skills stays with the first claimant (labels first, then ESCO,
    Linguist, O*NET) and is dropped from the others;
  - O*NET/Linguist names that are common English words (they occur in lower case in ESCO's
    prose at least COMMON_MIN times) are flagged needs_context.
"""
import argparse
import csv
import os
import re
import sys
import unicodedata
from collections import Counter, defaultdict

csv.field_size_limit(1 << 24)

ATTRIBUTION = [
    "This service uses the ESCO classification of the European Commission.",
    "ESCO v1.1.1 (c) European Union, https://esco.ec.europa.eu/, CC BY 4.0; labels filtered, "
    "pruned and merged by matchd.",
    "This product includes information from the O*NET 28.2 Database by the U.S. Department of "
    "Labor, Employment and Training Administration (USDOL/ETA). Used under the CC BY 4.0 license. "
    "O*NET(R) is a trademark of USDOL/ETA. matchd has modified all or some of this information. "
    "USDOL/ETA has not approved, endorsed, or tested these modifications.",
    "Language names and aliases from GitHub Linguist languages.yml, Copyright (c) 2017 GitHub, "
    "Inc. and contributors, MIT License.",
]

COMMON_MIN = 20
LEARNED_COMMON = "learned vocabulary, common word"  # the string taxonomy.c tests
COMMON_MIN_ALIAS = 3  # one-word ESCO altLabels this common in ESCO's prose are dropped

# Curated groups: the parents that neither ESCO nor O*NET name the way a job ad does.
# slug -> (label, aliases, parent ids, member names)
CURATED = {
    "relational-databases": (
        "relational databases", ["relational database management systems", "RDBMS", "SQL databases"],
        ["esco:43ae58b9-5e56-4524-b45a-b422777a0576"],
        ["PostgreSQL", "MySQL", "MariaDB", "SQLite", "Oracle Database", "Microsoft SQL Server",
         "IBM DB2", "Amazon Aurora", "Teradata Database", "Microsoft Access", "CockroachDB",
         "Sybase", "Firebird", "Ingres"]),
    "nosql-databases": (
        "NoSQL databases", ["NoSQL", "non-relational databases", "document databases"],
        ["esco:43ae58b9-5e56-4524-b45a-b422777a0576"],
        ["MongoDB", "Redis", "Apache Cassandra", "Couchbase Server", "Apache CouchDB",
         "Amazon DynamoDB", "Neo4j", "Elasticsearch", "Apache HBase", "Firebase"]),
    "esco:9b9de2a4-d8af-4a7b-933a-a8334ae60067": (  # ESCO's own "JavaScript Framework"
        "JavaScript Framework", ["JavaScript libraries", "front-end frameworks", "frontend frameworks",
                                 "JS frameworks", "JavaScript framework"],
        ["esco:3cd569a2-4f88-4c1e-9995-8dce8c5e51a7"],
        ["React", "Angular", "AngularJS", "Vue.js", "Next.js", "Svelte", "Ember.js", "Backbone.js",
         "jQuery", "Node.js", "Express.js", "React Native", "Redux", "Nuxt.js", "Meteor",
         "Knockout.js", "D3.js", "Bootstrap", "Dojo Toolkit", "Ext JS", "Polymer"]),
    "python-frameworks": (
        "Python frameworks", ["Python libraries"], ["esco:ccd0a1d9-afda-43d9-b901-96344886e14d"],
        ["Django", "Flask", "FastAPI", "NumPy", "pandas", "SciPy", "scikit-learn", "PyTorch",
         "TensorFlow", "Keras", "Pyramid", "Tornado"]),
    "java-frameworks": (
        "Java frameworks", ["Java libraries"],
        ["esco:19a8293b-8e95-4de3-983f-77484079c389"],
        ["Spring Framework", "Spring Boot", "Hibernate ORM", "JavaServer Faces JSF", "Apache Struts",
         "Google Web Toolkit GWT", "Apache Wicket", "Jakarta Persistence API", "Apache Maven",
         "Gradle"]),
    "cloud-platforms": (
        "cloud platforms", ["cloud computing platforms", "public cloud"],
        ["esco:bd14968e-e409-45af-b362-3495ed7b10e0"],
        ["Amazon Web Services AWS software", "Microsoft Azure software", "Google Cloud software",
         "IBM Cloud", "Oracle Cloud", "Heroku", "DigitalOcean"]),
    "containers": (
        "containerization", ["containers", "container orchestration", "containerisation"],
        [],
        ["Docker", "Kubernetes", "Red Hat OpenShift", "Podman", "Helm", "Apache Mesos"]),
    "ci-cd": (
        "continuous integration and delivery", ["CI/CD", "continuous integration",
                                                "continuous delivery", "continuous deployment"],
        [],
        ["Jenkins CI", "GitLab", "CircleCI", "Travis CI", "GitHub Actions", "Atlassian Bamboo",
         "TeamCity", "Argo CD"]),
    "version-control": (
        "version control", ["version control systems", "source control", "code versioning tools",
                            "code versioning"],
        ["esco:9d2e926f-53d9-41f5-98f3-19dfaa687f3f"],
        ["Git", "GitHub", "GitLab", "Apache Subversion SVN", "Mercurial", "Bitbucket",
         "Perforce Helix Core"]),
    "infrastructure-as-code": (
        "infrastructure as code", ["IaC"], [],
        ["Terraform", "Ansible", "Chef", "Puppet", "AWS CloudFormation", "Pulumi", "SaltStack"]),
    # Named methods and products that ESCO lists only as altLabels of a broader skill: as
    # aliases, a job asking for Scrum was met by a CV naming Kanban. Their own skills, under
    # that broader one, match each other only through the hierarchy (partial credit).
    "scrum": ("Scrum", ["Scrum methodology", "Scrum framework"],
              ["esco:bec4359e-cb92-468f-a997-8fb28e32fba9"], []),
    "kanban": ("Kanban", ["Kanban method"], ["esco:bec4359e-cb92-468f-a997-8fb28e32fba9"], []),
    "java-ee": ("Java EE", ["JEE", "J2EE", "Jakarta EE", "Java Enterprise Edition",
                            "Java 2 Platform Enterprise Edition"], ["matchd:java-frameworks"], []),
}

# Aliases that every CV writes and no source lists (canonical name -> aliases).
EXTRA_ALIASES = {
    "PostgreSQL": ["postgres", "psql", "postgre sql"],
    "Agile development": ["agile", "agile methodology", "agile software development"],
    "Microsoft Active Directory": ["Active Directory", "AD DS"],
    "Kubernetes": ["k8s", "kube"],
    "React": ["React.js", "ReactJS", "React JS"],
    "Vue.js": ["Vue", "VueJS", "Vue JS"],
    "Angular": ["Angular 2", "Angular2"],
    "AngularJS": ["Angular.js", "Angular JS"],
    "Node.js": ["NodeJS", "Node JS"],
    "Next.js": ["NextJS"],
    "Express.js": ["Express", "ExpressJS"],
    "Amazon Web Services AWS software": ["AWS", "Amazon Web Services", "Amazon AWS"],
    "Microsoft Azure software": ["Azure", "Microsoft Azure"],
    "Google Cloud software": ["Google Cloud", "Google Cloud Platform", "GCP"],
    "MongoDB": ["Mongo"],
    "Microsoft SQL Server": ["MSSQL", "MS SQL", "SQL Server"],
    "Go": ["Go language", "Go lang"],
    "C++": ["C plus plus", "CPP"],
    "C#": ["C sharp", "csharp"],
    "JavaScript": ["JS", "ECMAScript", "ES6"],
    "TypeScript": ["TS"],
    "scikit-learn": ["sklearn", "scikit learn"],
    "Spring Boot": ["SpringBoot"],
    "Jenkins CI": ["Jenkins"],
    "Git": ["Git SCM"],
    "Apache Kafka": ["Kafka"],
    "Apache Spark": ["Spark", "PySpark"],
    "Elasticsearch": ["Elastic Search", "ElasticSearch"],
    "GraphQL": ["Graph QL"],
    "Microsoft .NET Framework": [".NET", "dotnet", ".NET Core"],
    "HTML": ["HTML5"],
    "CSS": ["CSS3"],
    "Microsoft Excel": ["Excel", "MS Excel"],
    "machine learning": ["ML"],
    "Microsoft PowerPoint": ["PowerPoint", "MS PowerPoint"],
    "Microsoft Word": ["MS Word"],
    "JavaServer Faces JSF": ["JSF", "JavaServer Faces"],
    "Google Web Toolkit GWT": ["GWT"],
    "Apache Wicket": ["Wicket"],
    "Jakarta Persistence API": ["JPA", "JPA2", "Java Persistence API"],
    "Hibernate ORM": ["Hibernate"],
}

# Soft skills as job ads and CVs write them. ESCO names its transversal skills as verbs ("work in
# teams", "show initiative"); job descriptions ask for traits ("a team player", "proactive",
# "attention to detail"). Reviewed list: each alias says the skill and nothing else; words that
# are titles or ordinary prose ("leader", "driven", "positive") are left out.
SOFT_TRAITS = {
    "work in teams": ["team player", "teamwork", "team work", "team working", "collaborative",
                      "works well in a team"],
    "show initiative": ["proactive", "pro-active", "self-starter", "self starter",
                        "use of initiative"],
    "think analytically": ["analytical", "analytical skills", "analytical mind",
                           "analytically minded"],
    "think innovately": ["innovative", "innovative thinking"],
    "think creatively": ["creative thinking", "creativity"],
    "show commitment": ["self motivated", "self-motivated", "highly motivated", "enthusiastic",
                        "enthusiasm"],
    "show determination": ["determination", "tenacity", "tenacious"],
    "demonstrate willingness to learn": ["willing to learn", "eager to learn", "keen to learn",
                                         "willingness to learn", "desire to learn"],
    "lead others": ["leadership skills", "people leadership", "natural leader", "strong leader"],
    "attend to detail": ["attention to detail", "detail oriented", "detail-oriented",
                         "eye for detail", "meticulous"],
    "manage time": ["time management", "prioritisation", "prioritization"],
    "organise information, objects and resources": ["organisational skills",
                                                    "organizational skills", "well organised",
                                                    "well organized", "organised", "organized"],
    "cope with stress": ["resilient", "resilience", "calm under pressure"],
    "adapt to change": ["adaptable", "adaptability", "flexible approach", "flexibility"],
    "ensure customer orientation": ["customer focused", "customer-focused", "customer focus",
                                    "customer facing", "customer-facing", "client focused",
                                    "client-focused", "customer oriented"],
    "demonstrate trustworthiness": ["trustworthy", "reliable", "honesty"],
    "show confidence": ["confident", "self-confident", "self confidence"],
    "show empathy": ["empathetic", "empathy", "empathic"],
    "approach challenges positively": ["positive attitude", "can-do attitude", "can do attitude"],
    "promote ideas, products, services": ["persuasive", "influencing skills"],
    "apply business acumen": ["commercial awareness", "commercially aware", "commercial acumen"],
    "assume responsibility": ["accountability", "sense of responsibility"],
}

# Linguist "data" entries worth matching (the rest are file formats nobody lists on a CV).
LINGUIST_DATA = {"JSON", "YAML", "XML", "CSV", "TOML", "Protocol Buffer", "GraphQL", "Dockerfile",
                 "HCL", "SQL", "JSON5", "INI", "Jupyter Notebook", "Avro IDL", "Thrift"}

# Vendor prefixes stripped from O*NET names to form an alias ("Microsoft Excel" -> "Excel").
VENDORS = ["Amazon Web Services", "Microsoft", "Oracle", "Adobe", "IBM", "SAP", "Apache",
           "Atlassian", "Google", "Autodesk", "Apple", "Red Hat", "Cisco", "Intuit", "Salesforce",
           "Dassault Systemes", "Hewlett Packard", "Hewlett-Packard", "Bentley", "Esri", "JetBrains",
           "VMware", "Elastic", "Facebook", "Meta", "Amazon", "The MathWorks", "MathWorks", "SAS",
           "Corel", "Siemens", "Infor", "Epic Systems", "Sage", "Citrix", "Novell", "Sun", "Unify"]


DERIVED = set()  # (label, alias) pairs made by stripping a vendor or " software"


def clean(s):
    s = unicodedata.normalize("NFC", s or "")
    s = re.sub(r"[\t\r\n|]+", " ", s)
    return re.sub(r" {2,}", " ", s).strip().rstrip(",").strip()


# ---- the key normalisation; mirrors taxonomy.c (used here only for de-duplication) ----
_TOKEN = re.compile(r"\.?[^\W_]+(?:[.][^\W_]+)*(?:\+\+|#)?", re.UNICODE)


def stem(w):
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ing") and len(w) - 3 >= 3:
        w = w[:-3]
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def tokens(s):
    return _TOKEN.findall(s.casefold())


def key(s):
    t = tokens(s)
    if len(t) > 1:
        t = [stem(x) for x in t]
    return " ".join(t)


def slug(s):
    return re.sub(r"[^a-z0-9+#.]+", "-", s.lower()).strip("-") or "x"


class Skill:
    __slots__ = ("id", "label", "type", "category", "hot", "aliases", "broader", "ctx", "order")

    def __init__(self, id_, label, type_, category, order):
        self.id, self.label, self.type, self.category = id_, label, type_, category
        self.hot, self.aliases, self.broader, self.ctx, self.order = 0, [], [], set(), order


def read_exclusions(path):
    ex = {"alias": set(), "skill": set(), "context": set(), "keep": set(), "common": set()}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            kind = parts[0]
            if kind == "kind":
                continue
            if kind not in ex or len(parts) < 3:
                sys.exit(f"{path}: bad line: {line!r}")
            ex[kind].add((parts[1].casefold(), parts[2].casefold()))
    return ex


def read_learned(path):
    """The prose names (as keys) and vocabulary phrases of data/skills_learned.tsv."""
    prose, vocab = set(), []
    if not os.path.exists(path):
        return prose, vocab
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if line.startswith("#") or parts[0] == "kind" or len(parts) < 2:
                continue
            if parts[0] == "prose":
                prose.add(key(parts[1]))
            elif parts[0] == "vocab":
                vocab.append(parts[1])
            else:
                sys.exit(f"{path}: bad line: {line!r}")
    return prose, vocab


def esco_collections(src):
    ids = set()
    for name in ("digitalSkillsCollection_en.csv", "languageSkillsCollection_en.csv",
                 "transversalSkillsCollection_en.csv"):
        with open(os.path.join(src, name), encoding="utf-8") as f:
            for r in csv.DictReader(f):
                ids.add(r["conceptUri"])
    return ids


def esco_id(uri):
    if "/isced-f/" in uri:
        return "esco-group:isced-f-" + uri.rsplit("/", 1)[1]
    return "esco:" + uri.rsplit("/", 1)[1]


def load_esco(src, skills, order):
    """ESCO skills and the groups above them."""
    with open(os.path.join(src, "skillGroups_en.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            sid = esco_id(r["conceptUri"])
            if r["conceptUri"].startswith("http://data.europa.eu/esco/skill/"):
                sid = "esco-group:" + (r.get("code") or r["conceptUri"].rsplit("/", 1)[1])
            s = Skill(sid, clean(r["preferredLabel"]), "esco", "", order())
            s.aliases = [clean(a) for a in (r["altLabels"] or "").split("\n") if clean(a)]
            skills[r["conceptUri"]] = s
    with open(os.path.join(src, "skills_en.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["status"] != "released":
                continue
            s = Skill(esco_id(r["conceptUri"]), clean(r["preferredLabel"]), "esco", "", order())
            s.aliases = [clean(a) for a in (r["altLabels"] or "").split("\n") if clean(a)]
            skills[r["conceptUri"]] = s
    with open(os.path.join(src, "broaderRelationsSkillPillar.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            c, b = skills.get(r["conceptUri"]), skills.get(r["broaderUri"])
            if c and b and b.id not in c.broader:
                c.broader.append(b.id)
    # category: the level-1 group of the top of each skill's chain (ESCO's hierarchy file).
    by_id = {s.id: s for s in skills.values()}
    with open(os.path.join(src, "skillsHierarchy_en.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            for lvl in ("0", "1", "2", "3"):
                u = r[f"Level {lvl} URI"]
                if u in skills and not skills[u].category:
                    top = r["Level 1 preferred term"] if lvl != "0" else ""
                    skills[u].category = clean(top or r["Level 0 preferred term"])

    def category(s, seen=()):
        if s.category:
            return s.category
        for b in s.broader:
            p = by_id.get(b)
            if p and p.id not in seen:
                c = category(p, seen + (s.id,))
                if c:
                    return c
        return ""

    for s in skills.values():
        s.category = category(s)


def prose_words(src):
    """Lower-case word counts in ESCO's descriptions: a proxy for "common English word"."""
    cnt = Counter()
    with open(os.path.join(src, "skills_en.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            cnt.update(re.findall(r"\b[a-z]+\b", r["description"] or ""))
    return cnt


def load_onet(path, order):
    rows = {}
    with open(path, encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            name = clean(r["Example"])
            if not name:
                continue
            s = rows.get(name)
            if not s:
                s = Skill("onet:" + slug(name), name, "onet", clean(r["Commodity Title"]), order())
                s.broader = ["onet-cat:" + r["Commodity Code"]]
                rows[name] = s
            if r["Hot Technology"] == "Y":
                s.hot = 1
    cats = {}
    with open(path, encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            cid = "onet-cat:" + r["Commodity Code"]
            if cid not in cats:
                cats[cid] = Skill(cid, clean(r["Commodity Title"]), "onet", "O*NET technology category",
                                  order())
    for s in rows.values():
        a = s.label
        derived = []
        for v in VENDORS:
            if a.startswith(v + " ") and len(a) > len(v) + 3:
                derived.append(a[len(v) + 1:])
                break
        for x in derived + [s.label]:
            if x.endswith(" software") and len(x) > 12 and " " in x[: -len(" software")]:
                derived.append(x[: -len(" software")])  # one word left is a category
        s.aliases.extend(derived)
        DERIVED.update((s.label.casefold(), d.casefold()) for d in derived)
    return list(rows.values()), list(cats.values())


def load_linguist(path, order):
    out = []
    with open(path, encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            t = r["type"]
            if t not in ("programming", "markup") and r["name"] not in LINGUIST_DATA:
                continue
            cat = {"programming": "programming language", "markup": "markup language",
                   "data": "data format"}[t]
            s = Skill("ling:" + slug(r["name"]), clean(r["name"]), "linguist", cat, order())
            s.aliases = [clean(a) for a in (r["aliases"] or "").split("|") if clean(a)]
            if t == "programming":
                s.broader = ["esco:21d2f96d-35f7-4e3f-9745-c533d2dd6e97"]  # computer programming
            out.append(s)
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default=os.path.join(root, "..", "shared", "data", "cv", "skills"))
    ap.add_argument("--out", default=os.path.join(root, "data", "skills.tsv"))
    ap.add_argument("--exclude", default=os.path.join(root, "data", "skills_exclude.tsv"))
    ap.add_argument("--learned", default=os.path.join(root, "data", "skills_learned.tsv"),
                    help="prose names and vocabulary from scripts/learn_skills.py ('' for none)")
    ap.add_argument("--common-context", action="store_true",
                    help="learned one-word common-English rows match only in a skills context")
    args = ap.parse_args()
    ex = read_exclusions(args.exclude)
    prose, vocab = read_learned(args.learned) if args.learned else (set(), [])
    n = [0]

    def order():
        n[0] += 1
        return n[0]

    esco_src = os.path.join(args.src, "esco-v1.1.1-en")
    esco = {}
    load_esco(esco_src, esco, order)
    common = prose_words(esco_src)
    onet, onet_cats = load_onet(os.path.join(args.src, "onet", "Technology Skills.txt"), order)
    ling = load_linguist(os.path.join(args.src, "linguist_languages.tsv"), order)

    # Catch-all ESCO skills: product names filed as altLabels of a generic skill.
    for s in esco.values():
        words = set(tokens(s.label))
        prod = [a for a in s.aliases if a[:1].isupper() and not (set(tokens(a)) & words)]
        if len(prod) >= 10:
            s.aliases = [a for a in s.aliases if a not in prod]

    skills = [s for s in esco.values()] + ling + onet + onet_cats
    # Curated groups.
    for sl, (label, aliases, parents, members) in CURATED.items():
        if sl.startswith("esco:"):
            continue
        s = Skill("matchd:" + sl, label, "matchd", "curated group" if members else "curated skill",
                  order())
        s.aliases = list(aliases)
        s.broader = list(parents)
        skills.append(s)

    # Whole-skill exclusions.
    skills = [s for s in skills if ("*", s.label.casefold()) not in ex["skill"]
              and (s.id.casefold(), "*") not in ex["skill"]]

    # Merge rows whose labels normalise to the same key (ESCO first, then Linguist, O*NET).
    prio = {"esco": 0, "matchd": 1, "linguist": 2, "onet": 3}
    skills.sort(key=lambda s: (prio[s.type], s.order))
    by_label = {}
    merged = []
    alias_of = {}
    for s in skills:
        k = key(s.label)
        t = by_label.get(k)
        if t is not None and s.type != "esco" and not s.id.startswith("onet-cat:"):
            t.aliases.append(s.label)
            t.aliases.extend(s.aliases)
            t.hot |= s.hot
            for b in s.broader:
                if b not in t.broader:
                    t.broader.append(b)
            alias_of[s.id] = t.id
            continue
        if t is None:
            by_label[k] = s
            # "Python (computer programming)" also owns the plain name "Python".
            bare = re.sub(r" \([^)]*\)$", "", s.label)
            if bare != s.label and (s.label.casefold(), bare.casefold()) not in ex["alias"]:
                by_label.setdefault(key(bare), s)
        merged.append(s)
    skills = merged
    ids = {s.id: s for s in skills}

    # Curated memberships and extra aliases, by label or O*NET name.
    def find(name):
        return by_label.get(key(name))

    for sl, (_l, aliases, parents, members) in CURATED.items():
        gid = sl if sl.startswith("esco:") else "matchd:" + sl
        if sl.startswith("esco:") and gid in ids:
            ids[gid].aliases.extend(aliases)
            ids[gid].broader.extend(p for p in parents if p not in ids[gid].broader)
        for m in members:
            s = find(m)
            if s and s.id != gid and gid not in s.broader:
                s.broader.append(gid)
    for name, al in EXTRA_ALIASES.items():
        s = find(name)
        if s:
            s.aliases.extend(al)
    # The ESCO skill of that exact label, not a skill group whose label normalises the same way
    # ("working in teams").
    esco_label = {s.label.casefold(): s for s in skills if s.id.startswith("esco:")}
    for name, al in SOFT_TRAITS.items():
        esco_label[name].aliases.extend(al)

    # Broader ids must exist; ESCO ids dropped above are removed, merged ids redirected.
    for s in skills:
        out = []
        for b in s.broader:
            b = alias_of.get(b, b)
            if b in ids and b != s.id and b not in out:
                out.append(b)
        s.broader = out

    # Aliases: prune, then give each key to its first claimant.
    extra_names = {a.casefold() for d in (EXTRA_ALIASES, SOFT_TRAITS) for al in d.values()
                   for a in al}
    claimed = {k: s.id for k, s in by_label.items()}
    for s in skills:
        claimed.setdefault(key(s.label), s.id)
    onet_names = {s.label.casefold() for s in onet}
    for s in skills:
        keep = []
        for a in s.aliases:
            ka = key(a)
            lab = s.label.casefold()
            al = a.casefold()
            if not ka or ka == key(s.label):
                continue
            if (lab, al) in ex["alias"] or ("*", al) in ex["alias"]:
                continue
            letters = re.sub(r"[^\w+#.]", "", a)
            if len(letters) <= 1:
                continue
            if len(letters) == 2 and letters.isalpha() and (lab, al) not in ex["keep"] \
                    and ("*", al) not in ex["keep"]:
                continue
            one_common = len(tokens(a)) == 1 and common[al] >= COMMON_MIN_ALIAS
            if one_common and (s.type == "esco" and s.id.startswith("esco:")
                               or (lab, al) in DERIVED) and al not in extra_names:
                continue  # "data" for statistics, "Deployment" for Deployment software
            owner = claimed.get(ka)
            if owner is not None and owner != s.id:
                continue
            claimed[ka] = s.id
            if a not in keep and not any(key(x) == ka for x in keep):
                keep.append(a)
        s.aliases = keep

    # Learned vocabulary (training gold phrases no name covers) becomes rows of its own.
    for form in vocab:
        k = key(form)
        if not k or k in claimed:
            continue
        sid = "learned:" + slug(form)
        while sid in ids:
            sid += "-"
        # A one-word phrase that is a common English word ("design", "development", "testing")
        # is a skill in a CV's skills list but not something a job description asks for by
        # itself: taxonomy.c leaves rows of this category out of job-description extraction.
        t = tokens(form)
        cat = "learned vocabulary"
        if len(t) == 1 and common[t[0]] >= COMMON_MIN:
            cat = LEARNED_COMMON
        s = Skill(sid, form, "matchd", cat, order())
        if cat == LEARNED_COMMON and args.common_context:
            s.ctx.add(form)
        ids[sid] = s
        claimed[k] = sid
        skills.append(s)

    # needs_context: learned prose names, reviewed names, one- or two-letter names, product names that are common
    # English words.
    for s in skills:
        for name in [s.label] + s.aliases:
            nf = name.casefold()
            letters = re.sub(r"[^\w+#]", "", nf)
            if (s.label.casefold(), nf) in ex["context"] or ("*", nf) in ex["context"] \
                    or key(name) in prose:
                s.ctx.add(name)
            elif ("*", nf) in ex["keep"] and nf not in ("go",):
                continue
            elif s.type in ("onet", "linguist") or (s.type == "esco" and name in s.aliases
                                                     and s.label.casefold() in onet_names):
                if len(tokens(name)) == 1 and (len(letters) <= 2 or common[nf] >= COMMON_MIN
                                                or ("*", nf) in ex["common"]):
                    s.ctx.add(name)
            elif len(letters) == 1:
                s.ctx.add(name)
            elif s.id.startswith(("esco-group:", "onet-cat:")) and len(tokens(name)) == 1:
                s.ctx.add(name)  # "Skills", "Languages", "Services": headings, not skills

    skills.sort(key=lambda s: s.id)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for line in ATTRIBUTION:
            f.write("# " + line + "\n")
        f.write("# Generated by scripts/build_skills.py; do not edit by hand.\n")
        f.write("id\tlabel\ttype\tcategory\thot\taliases\tbroader\tneeds_context\n")
        for s in skills:
            ctx = [x for x in [s.label] + s.aliases if x in s.ctx]
            f.write("\t".join([s.id, s.label, s.type, s.category, str(s.hot), "|".join(s.aliases),
                               "|".join(s.broader), "|".join(ctx)]) + "\n")
    os.replace(tmp, args.out)
    print(f"{args.out}: {len(skills)} skills, "
          f"{sum(len(s.aliases) for s in skills)} aliases, {os.path.getsize(args.out)} bytes",
          file=sys.stderr)


if __name__ == "__main__":
    main()
