// TLS context source: settings checked with useful errors, files re-read when they
// change, a broken rotation keeping the previous files, and CA bootstrap.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "rpc/tls_context.h"

namespace fs = std::filesystem;
using vtep::rpc::TlsContextSource;
using vtep::rpc::TlsSettings;

namespace {

// A key and a certificate signed by 'issuer_key' (self-signed when null).
struct Identity {
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    ~Identity() {
        X509_free(cert);
        EVP_PKEY_free(key);
    }
};

void make_identity(Identity& id, const char* cn, const Identity* issuer, long serial) {
    id.key = EVP_EC_gen("P-256");
    REQUIRE(id.key);
    id.cert = X509_new();
    X509_set_version(id.cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(id.cert), serial);
    X509_gmtime_adj(X509_getm_notBefore(id.cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(id.cert), 3600);
    X509_set_pubkey(id.cert, id.key);
    X509_NAME* name = X509_get_subject_name(id.cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                               -1, -1, 0);
    X509_set_issuer_name(id.cert, issuer ? X509_get_subject_name(issuer->cert) : name);
    REQUIRE(X509_sign(id.cert, issuer ? issuer->key : id.key, EVP_sha256()) > 0);
}

void write_key(const fs::path& path, EVP_PKEY* key) {
    FILE* f = std::fopen(path.c_str(), "w");
    REQUIRE(f);
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
}

void write_cert(const fs::path& path, X509* cert) {
    FILE* f = std::fopen(path.c_str(), "w");
    REQUIRE(f);
    PEM_write_X509(f, cert);
    std::fclose(f);
}

// Files get a new mtime even within one clock tick.
void touch_later(const fs::path& path) {
    fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(1));
}

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("tls-test-" + std::to_string(::getpid()));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("TLS protocol lists accept TLS 1.2 and 1.3 only") {
    CHECK(vtep::rpc::check_tls_protocols("TLSv1.2,TLSv1.3"));
    CHECK(vtep::rpc::check_tls_protocols("TLSv1.3"));
    auto old = vtep::rpc::check_tls_protocols("TLSv1.1,TLSv1.2");
    REQUIRE_FALSE(old);
    CHECK_THAT(old.error().details, Catch::Contains("TLSv1.1"));
    CHECK_FALSE(vtep::rpc::check_tls_protocols(""));
}

TEST_CASE("missing TLS settings and files are named in the error") {
    TempDir dir;
    TlsContextSource none({}, nullptr);
    auto r = none.context();
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().details, Catch::Contains("private key"));

    TlsSettings s;
    s.private_key = (dir.path / "key.pem").string();
    s.certificate = (dir.path / "cert.pem").string();
    s.ca_cert = (dir.path / "ca.pem").string();
    TlsContextSource missing(s, nullptr);
    auto m = missing.context();
    REQUIRE_FALSE(m);
    CHECK_THAT(m.error().details, Catch::Contains("cert.pem"));
}

TEST_CASE("rotated files are picked up; a mismatched pair keeps the previous one") {
    TempDir dir;
    Identity ca, first, second, other;
    make_identity(ca, "test CA", nullptr, 1);
    make_identity(first, "switch", &ca, 2);
    make_identity(second, "switch", &ca, 3);
    make_identity(other, "other", &ca, 4);
    TlsSettings s;
    s.private_key = (dir.path / "key.pem").string();
    s.certificate = (dir.path / "cert.pem").string();
    s.ca_cert = (dir.path / "ca.pem").string();
    write_key(s.private_key, first.key);
    write_cert(s.certificate, first.cert);
    write_cert(s.ca_cert, ca.cert);

    std::vector<std::string> logs;
    TlsContextSource source(s, [&](const std::string& m) { logs.push_back(m); });
    auto c1 = source.context();
    REQUIRE(c1);
    auto c1_again = source.context();
    REQUIRE(c1_again);
    CHECK(c1->get() == c1_again->get());  // nothing changed: same context
    auto serial = [](const std::shared_ptr<boost::asio::ssl::context>& ctx) {
        return ASN1_INTEGER_get(
            X509_get_serialNumber(SSL_CTX_get0_certificate(ctx->native_handle())));
    };
    CHECK(serial(*c1) == 2);

    // Rotation: both files replaced.
    write_key(s.private_key, second.key);
    write_cert(s.certificate, second.cert);
    touch_later(s.private_key);
    touch_later(s.certificate);
    auto c2 = source.context();
    REQUIRE(c2);
    CHECK(c2->get() != c1->get());
    CHECK(serial(*c2) == 3);

    // Half a rotation: a key that does not match the certificate. The previous pair stays.
    write_key(s.private_key, other.key);
    touch_later(s.private_key);
    logs.clear();
    auto c3 = source.context();
    REQUIRE(c3);
    CHECK(c3->get() == c2->get());
    REQUIRE(logs.size() == 1);
    CHECK_THAT(logs[0], Catch::Contains("does not match") && Catch::Contains("previously"));
}

TEST_CASE("bootstrap mode: no CA file yet is not an error, and the mode ends once it exists") {
    TempDir dir;
    Identity ca, me;
    make_identity(ca, "test CA", nullptr, 1);
    make_identity(me, "switch", &ca, 2);
    TlsSettings s;
    s.private_key = (dir.path / "key.pem").string();
    s.certificate = (dir.path / "cert.pem").string();
    s.ca_cert = (dir.path / "controller-ca.pem").string();
    s.bootstrap_ca_cert = true;
    write_key(s.private_key, me.key);
    write_cert(s.certificate, me.cert);
    TlsContextSource source(s, nullptr);
    CHECK(source.bootstrapping());
    CHECK(source.context());
    write_cert(s.ca_cert, ca.cert);
    CHECK_FALSE(source.bootstrapping());
    CHECK(source.context());

    s.bootstrap_ca_cert = false;
    s.ca_cert = (dir.path / "absent.pem").string();
    TlsContextSource strict(s, nullptr);
    auto r = strict.context();
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().details, Catch::Contains("absent.pem"));
}
