include:
  - cloud.flavors
  - cloud.images
  - cloud.networks
  - cloud.security
