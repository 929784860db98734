"""The admin console: a Django project where authorities edit, publish and watch their kiosks."""
