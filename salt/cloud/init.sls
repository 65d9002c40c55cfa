include:
  - cloud.flavors
  - cloud.images
  - cloud.networks
  - cloud.quotas
  - cloud.security
  - cloud.volume_types
