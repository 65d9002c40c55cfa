#!/usr/bin/env bash
# The test cluster's "operator CA" and the gateway's certificate from it:
#
#   cluster/operator-tls.sh DIR
#
# makes DIR/ca.crt and ca.key (a CA of its own, ten years), and
# DIR/gateway.crt and gateway.key (90 days; subjectAltName: the gateway's
# minion id, fqdn and management address, which the catalog's console URL
# and the dashboard's URL use), as an operator would bring them:
# cluster/pillar/cluster.sls gives them to the cloud as
# openstack:tls:public:gateway and openstack:tls:public_ca, so the
# gateway's dashboard and console proxy present a certificate that the
# master's CA did not make, and verify's identity check validates it
# against this CA.  Kept while the certificate has more than 30 days left
# and was signed by DIR/ca.crt; made anew otherwise.  The keys are 0600.
set -euo pipefail
dir=${1:?usage: operator-tls.sh DIR}
names=${OPERATOR_TLS_NAMES:-DNS:gateway,DNS:gateway.cloud.test,IP:192.168.56.11}
mkdir -p "$dir"
chmod 0700 "$dir"
cd "$dir"

if [ -s gateway.crt ] && [ -s gateway.key ] && [ -s ca.crt ] \
   && openssl x509 -in gateway.crt -noout -checkend $((30 * 86400)) >/dev/null \
   && openssl verify -CAfile ca.crt gateway.crt >/dev/null 2>&1; then
  echo "operator-tls: $dir/gateway.crt kept"
  exit 0
fi

umask 077
cat > openssl.cnf <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = Cluster operator CA
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $names
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
if [ ! -s ca.crt ] || [ ! -s ca.key ] \
   || ! openssl x509 -in ca.crt -noout -checkend $((365 * 86400)) >/dev/null; then
  openssl req -x509 -config openssl.cnf -extensions ca -newkey ec \
    -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 3650 2>/dev/null
fi
openssl req -new -config openssl.cnf -subj /CN=gateway -newkey ec \
  -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout gateway.key -out gateway.csr 2>/dev/null
openssl x509 -req -in gateway.csr -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
  -days 90 -extfile openssl.cnf -extensions server -out gateway.crt 2>/dev/null
rm -f gateway.csr
chmod 0644 ca.crt gateway.crt
echo "operator-tls: made $dir/gateway.crt ($names) from $dir/ca.crt"
