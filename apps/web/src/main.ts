// First: it configures zod before any module builds a schema.
import './zod-config';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { currentLocale, i18n } from './i18n';
import { installSessionLifecycle } from './lifecycle';
import { createAppRouter } from './router';
import './styles.css';

document.documentElement.lang = currentLocale();

const app = createApp(App);
app.use(createPinia());
app.use(i18n);
const router = createAppRouter();
app.use(router);
installSessionLifecycle(router);
app.mount('#app');
