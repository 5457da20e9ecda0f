#!/usr/bin/env bash
# End-to-end check of the real Maven (Debian's mvn) against Arca: a settings.xml with the token from
# `aws codeartifact get-authorization-token` in a server entry (user aws), `mvn deploy:deploy-file`
# of com.acme:kit-core 1.0 (jar + POM) and com.acme:kit-app 1.0 (which depends on kit-core), and a
# SNAPSHOT deployed twice; then `mvn dependency:get` of kit-app (and the SNAPSHOT) into an empty local
# repository, resolving kit-core through Arca too. The AWS CLI then checks what the API shows:
# DescribePackageVersion (format maven, namespace = groupId, Published, POM metadata),
# ListPackageVersionAssets and GetPackageVersionAsset (byte-identical), and the SNAPSHOT's builds.
#
# There is no Maven Central here: plugins come from Debian's /usr/share/maven-repo (packages
# libmaven-deploy-plugin-java, libmaven-dependency-plugin-java and junit4, which Debian's dependency
# plugin needs without declaring it), mirrored in as `central`.
#
# Environment: ARCA_BIN, ARCA_VENV, KEEP_TMP=1 as for walkthrough.sh; MVN (default: mvn on PATH).
set -euo pipefail

E2E_NAME=maven
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MVN=${MVN:-$(command -v mvn || true)}
[[ -n $MVN && -x $MVN ]] || fail "mvn not found (apt-get install maven)"
PLUGINS=/usr/share/maven-repo
DEPLOY_PLUGIN=org.apache.maven.plugins:maven-deploy-plugin:3.0.0
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.5.0
for p in org/apache/maven/plugins/maven-deploy-plugin/3.0.0 org/apache/maven/plugins/maven-dependency-plugin/3.5.0 junit/junit; do
    [[ -d $PLUGINS/$p ]] ||
        fail "$PLUGINS has no $p (apt-get install libmaven-deploy-plugin-java libmaven-dependency-plugin-java junit4)"
done

start_server
E=(--endpoint-url "$URL")
aws() { "$REAL_AWS" "$@"; }
unset MAVEN_OPTS MAVEN_ARGS M2_HOME

aws "${E[@]}" codeartifact create-domain --domain acme >/dev/null
aws "${E[@]}" codeartifact create-repository --domain acme --repository releases >/dev/null
ENDPOINT=$(aws "${E[@]}" codeartifact get-repository-endpoint --domain acme --repository releases --format maven \
    --query repositoryEndpoint --output text)
[[ $ENDPOINT == "$URL/maven/d/acme-$ACCOUNT/releases/" ]] || fail "unexpected maven endpoint $ENDPOINT"
export CODEARTIFACT_AUTH_TOKEN
CODEARTIFACT_AUTH_TOKEN=$(aws "${E[@]}" codeartifact get-authorization-token --domain acme --query authorizationToken --output text)

# --- 1. settings.xml: the token in a server entry; plugins from Debian's repository ------------------
mkdir -p "$TMP/work"
cat >"$TMP/settings.xml" <<EOF
<settings>
  <localRepository>$TMP/m2-deploy</localRepository>
  <servers>
    <server><id>codeartifact</id><username>aws</username><password>\${env.CODEARTIFACT_AUTH_TOKEN}</password></server>
  </servers>
  <mirrors>
    <mirror><id>debian</id><mirrorOf>central</mirrorOf><url>file://$PLUGINS</url></mirror>
  </mirrors>
  <profiles>
    <profile>
      <id>codeartifact</id>
      <repositories>
        <repository><id>codeartifact</id><url>$ENDPOINT</url>
          <releases><enabled>true</enabled></releases><snapshots><enabled>true</enabled></snapshots></repository>
      </repositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>codeartifact</activeProfile></activeProfiles>
</settings>
EOF
mvn_run() { (cd "$TMP/work" && "$MVN" -B -e -s "$TMP/settings.xml" "$@"); }

# --- 2. build two artifacts (kit-app depends on kit-core) and a SNAPSHOT -----------------------------
make_jar() { # DIR NAME TEXT: a jar with one text file
    mkdir -p "$TMP/src/$2"
    printf '%s\n' "$3" >"$TMP/src/$2/hello.txt"
    (cd "$TMP/src/$2" && "$PY" -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    z.write("hello.txt")' "$1")
}
make_pom() { # FILE ARTIFACT VERSION EXTRA
    cat >"$1" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>$2</artifactId>
  <version>$3</version>
  <name>Acme $2</name>
  <description>The Acme $2</description>
  <url>https://acme.test/$2</url>
  <scm><url>https://git.acme.test/$2</url></scm>
  <licenses><license><name>Apache-2.0</name><url>https://www.apache.org/licenses/LICENSE-2.0</url></license></licenses>
  $4
</project>
EOF
}
make_jar "$TMP/kit-core-1.0.jar" core "kit-core"
make_pom "$TMP/kit-core-1.0.pom" kit-core 1.0 ""
make_jar "$TMP/kit-app-1.0.jar" app "kit-app"
make_pom "$TMP/kit-app-1.0.pom" kit-app 1.0 \
    "<dependencies><dependency><groupId>com.acme</groupId><artifactId>kit-core</artifactId><version>1.0</version></dependency></dependencies>"
make_pom "$TMP/kit-dev.pom" kit-dev 2.0-SNAPSHOT ""

deploy() { # FILE POM
    mvn_run "$DEPLOY_PLUGIN:deploy-file" -Dfile="$1" -DpomFile="$2" -DrepositoryId=codeartifact -Durl="$ENDPOINT" \
        >"$TMP/deploy.out" 2>&1 || { tail -n 60 "$TMP/deploy.out" >&2; fail "mvn deploy:deploy-file $1 failed"; }
    grep -q "BUILD SUCCESS" "$TMP/deploy.out" || { tail -n 60 "$TMP/deploy.out" >&2; fail "no BUILD SUCCESS deploying $1"; }
}
deploy "$TMP/kit-core-1.0.jar" "$TMP/kit-core-1.0.pom"
deploy "$TMP/kit-app-1.0.jar" "$TMP/kit-app-1.0.pom"
make_jar "$TMP/kit-dev-1.jar" dev1 "build one"
deploy "$TMP/kit-dev-1.jar" "$TMP/kit-dev.pom"
sleep 1 # the next build gets a later timestamp
make_jar "$TMP/kit-dev-2.jar" dev2 "build two"
deploy "$TMP/kit-dev-2.jar" "$TMP/kit-dev.pom"
say "mvn deployed kit-core 1.0, kit-app 1.0 and two builds of kit-dev 2.0-SNAPSHOT"

# --- 3. mvn dependency:get into an empty local repository -------------------------------------------
sed -i "s|$TMP/m2-deploy|$TMP/m2-fresh|" "$TMP/settings.xml"
get() { # ARTIFACT
    mvn_run "$DEPENDENCY_PLUGIN:get" -Dartifact="$1" -Dtransitive=true >"$TMP/get.out" 2>&1 ||
        { tail -n 60 "$TMP/get.out" >&2; fail "mvn dependency:get $1 failed"; }
}
get com.acme:kit-app:1.0
for f in kit-app/1.0/kit-app-1.0.jar kit-core/1.0/kit-core-1.0.jar; do
    got="$TMP/m2-fresh/com/acme/$f"
    [[ -f $got ]] || fail "dependency:get did not fetch $f"
    cmp -s "$got" "$TMP/${f##*/}" || fail "$f differs from what was deployed"
done
grep -q "Downloaded from codeartifact: $ENDPOINT" "$TMP/get.out" || fail "mvn did not download from Arca"
get com.acme:kit-dev:2.0-SNAPSHOT
dev=$(ls "$TMP"/m2-fresh/com/acme/kit-dev/2.0-SNAPSHOT/kit-dev-2.0-*.jar | head -n1)
cmp -s "$dev" "$TMP/kit-dev-2.jar" || fail "2.0-SNAPSHOT did not resolve to the newest build"
say "mvn dependency:get resolved kit-app with kit-core, and kit-dev 2.0-SNAPSHOT's newest build, from Arca"

# --- 4. the API sees what mvn published --------------------------------------------------------------
M=(--domain acme --repository releases --format maven --namespace com.acme)
aws "${E[@]}" codeartifact describe-package-version "${M[@]}" --package kit-app --package-version 1.0 >"$TMP/describe.json"
json_check "$TMP/describe.json" 'd["packageVersion"]["status"] == "Published" and d["packageVersion"]["format"] == "maven"'
json_check "$TMP/describe.json" 'd["packageVersion"]["namespace"] == "com.acme" and d["packageVersion"]["packageName"] == "kit-app"'
json_check "$TMP/describe.json" 'd["packageVersion"]["displayName"] == "Acme kit-app" and d["packageVersion"]["summary"] == "The Acme kit-app"'
json_check "$TMP/describe.json" 'd["packageVersion"]["homePage"] == "https://acme.test/kit-app" and d["packageVersion"]["sourceCodeRepository"] == "https://git.acme.test/kit-app"'
json_check "$TMP/describe.json" 'd["packageVersion"]["licenses"][0]["name"] == "Apache-2.0"'
aws "${E[@]}" codeartifact list-package-version-assets "${M[@]}" --package kit-app --package-version 1.0 >"$TMP/assets.json"
json_check "$TMP/assets.json" 'sorted(a["name"] for a in d["assets"]) == ["kit-app-1.0.jar", "kit-app-1.0.pom"]'
sha=$(sha256sum "$TMP/kit-app-1.0.jar" | cut -c1-64)
json_check "$TMP/assets.json" "[a['hashes']['SHA-256'] for a in d['assets'] if a['name'] == 'kit-app-1.0.jar'] == ['$sha']"
aws "${E[@]}" codeartifact get-package-version-asset "${M[@]}" --package kit-app --package-version 1.0 \
    --asset kit-app-1.0.jar "$TMP/api.jar" >/dev/null
cmp -s "$TMP/api.jar" "$TMP/kit-app-1.0.jar" || fail "GetPackageVersionAsset returned other bytes"
aws "${E[@]}" codeartifact list-package-versions "${M[@]}" --package kit-dev >"$TMP/dev.json"
json_check "$TMP/dev.json" 'len(d["versions"]) == 2'
json_check "$TMP/dev.json" 'sorted(v["status"] for v in d["versions"]) == ["Published", "Unlisted"]'
say "PASS: the API shows kit-app 1.0 Published with its POM metadata and identical bytes; kit-dev has one Published and one Unlisted build"
