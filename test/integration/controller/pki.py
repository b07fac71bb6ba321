"""A throwaway public-key infrastructure for the controller tests, made with the openssl
command-line tool: certificate authorities and certificates they sign (EC P-256 keys,
which are quick to make), including expired and not-yet-valid ones.

Every file lives in the directory given to `Pki`; nothing is read from or written to the
system's certificate stores.
"""

import os
import subprocess

OPENSSL = "/usr/bin/openssl"

# `openssl ca` needs a configuration file; this one signs whatever it is given (the tests
# decide what is trusted) and marks leaves as usable by both TLS clients and servers.
CA_CONFIG = """\
[ ca ]
default_ca = signer
[ signer ]
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
x509_extensions = leaf
[ anything ]
commonName = supplied
organizationName = optional
[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1
"""


class PkiError(RuntimeError):
    pass


def run_openssl(*args, cwd=None):
    result = subprocess.run([OPENSSL] + list(args), capture_output=True, text=True, cwd=cwd)
    if result.returncode != 0:
        raise PkiError("openssl %s failed: %s" % (" ".join(args), result.stderr.strip()))
    return result.stdout


class Ca:
    """A self-signed certificate authority: `cert` (PEM) and `key`."""

    def __init__(self, directory, name):
        self.name = name
        self.dir = os.path.join(directory, "ca-" + name)
        os.makedirs(self.dir)
        self.cert = os.path.join(self.dir, "cacert.pem")
        self.key = os.path.join(self.dir, "cakey.pem")
        self.config = os.path.join(self.dir, "ca.cnf")
        with open(self.config, "w") as f:
            f.write(CA_CONFIG.format(dir=self.dir))
        open(os.path.join(self.dir, "index.txt"), "w").close()
        with open(os.path.join(self.dir, "serial"), "w") as f:
            f.write("1000\n")
        run_openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", self.key, "-out", self.cert, "-days", "30",
                    "-subj", "/O=ovsdb-vtep tests/CN=%s CA" % name)


class Credentials:
    """A leaf certificate with its key. `chain` is the certificate followed by its CA's
    (what a peer sends so that the other side can bootstrap the CA from it)."""

    def __init__(self, cert, key, chain, serial, subject):
        self.cert, self.key, self.chain = cert, key, chain
        self.serial, self.subject = serial, subject


class Pki:
    def __init__(self, directory):
        self.dir = directory

    def ca(self, name):
        return Ca(self.dir, name)

    def issue(self, ca, name, common_name=None, start=None, end=None):
        """A certificate for `name` signed by `ca`, valid for 30 days from now unless
        `start`/`end` (openssl's YYYYMMDDHHMMSSZ) say otherwise."""
        key = os.path.join(self.dir, name + "-privkey.pem")
        csr = os.path.join(self.dir, name + "-req.pem")
        cert = os.path.join(self.dir, name + "-cert.pem")
        run_openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", csr,
                    "-subj", "/O=ovsdb-vtep tests/CN=%s" % (common_name or name))
        dates = ["-days", "30"]
        if start or end:
            dates = ["-startdate", start or "20200101000000Z", "-enddate", end or "20200102000000Z"]
        run_openssl("ca", "-batch", "-notext", "-config", ca.config, "-cert", ca.cert,
                    "-keyfile", ca.key, "-in", csr, "-out", cert, *dates)
        chain = os.path.join(self.dir, name + "-chain.pem")
        with open(chain, "w") as out:
            for part in (cert, ca.cert):
                with open(part) as f:
                    out.write(f.read())
        serial = run_openssl("x509", "-in", cert, "-noout", "-serial").strip().split("=", 1)[1]
        return Credentials(cert, key, chain, serial, common_name or name)
