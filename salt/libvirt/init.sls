include:
  - libvirt.package
  - libvirt.config
  - libvirt.service
  - libvirt.tls
